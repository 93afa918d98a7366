#include "services/commercial/commercial.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "services/domain/dates.h"
#include "services/inventory/model.h"
#include "services/inventory/ownership.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::commercial {
namespace {

namespace why = commercial_reason;
using domain::CheckPageSize;
using domain::FormatDate;
using domain::Loaded;
using internal::CheckContext;
using internal::CheckCurrency;
using internal::CheckDate;
using internal::CheckId;
using internal::CheckLotId;
using internal::CheckMetalCode;
using internal::CheckText;
using internal::DaysInclusive;
using internal::NotFound;
using internal::Plan;
using internal::ReadRecords;
using inventory::Encumbrance;
using inventory::Lot;
using inventory::LotStatus;
using inventory::ReserveClass;

constexpr absl::string_view kPledgeEncumbrance = "pledge";
constexpr absl::string_view kCallUpRightEncumbrance = "call_up_right";

absl::StatusOr<Mutation<std::string>> Run(ledger::Ledger& ledger, const Context& ctx,
                                          absl::string_view kind, absl::string_view request,
                                          const domain::Planner& planner) {
  return internal::Mutate(ledger, ctx, "commercial-request/", kind, request, planner);
}

template <typename T>
absl::StatusOr<Mutation<T>> Decoded(absl::StatusOr<Mutation<std::string>> m,
                                    absl::StatusOr<T> (*decode)(absl::string_view)) {
  if (!m.ok()) return m.status();
  absl::StatusOr<T> value = decode(m->value);
  if (!value.ok()) return value.status();
  return Mutation<T>{*std::move(value), m->seq, m->replayed};
}

bool Visible(const Scope& scope, absl::string_view enterprise) {
  return scope.bank.empty() && (scope.enterprise.empty() || scope.enterprise == enterprise);
}

// Reads `key` and decodes it; NOT_FOUND `reason` ("no <noun> <id>") when absent.
template <typename T>
absl::StatusOr<Loaded<T>> Load(ledger::Ledger& ledger, const std::string& key,
                               absl::string_view reason, absl::string_view noun,
                               absl::string_view id, absl::StatusOr<T> (*decode)(absl::string_view),
                               ledger::ReadOptions options = {}) {
  return domain::Load<T>(ledger, key, reason, absl::StrCat("no ", noun, " ", id), decode, options);
}

absl::StatusOr<Loaded<Enterprise>> LoadEnterprise(ledger::Ledger& l, absl::string_view id,
                                                  ledger::ReadOptions options = {}) {
  return Load<Enterprise>(l, keys::Enterprise(id), why::kUnknownEnterprise, "enterprise", id,
                          &DecodeEnterprise, options);
}
absl::StatusOr<Loaded<Agreement>> LoadAgreement(ledger::Ledger& l, absl::string_view id,
                                                ledger::ReadOptions options = {}) {
  return Load<Agreement>(l, keys::Agreement(id), why::kUnknownAgreement, "agreement", id,
                         &DecodeAgreement, options);
}
absl::StatusOr<Loaded<CallUp>> LoadCallUp(ledger::Ledger& l, absl::string_view id) {
  return Load<CallUp>(l, keys::CallUp(id), why::kUnknownCallUp, "call-up", id, &DecodeCallUp);
}

// ---- Validation ----

absl::Status CheckEnterprise(const Enterprise& e) {
  if (absl::Status s = CheckId(e.id, "enterprise.enterprise_id"); !s.ok()) return s;
  if (absl::Status s = CheckText(e.name, "enterprise.name", true); !s.ok()) return s;
  if (absl::Status s = CheckText(e.province, "enterprise.province", true); !s.ok()) return s;
  if (e.metals.empty() || e.metals.size() > kMaxMetalsPerEnterprise) {
    return InvalidField("enterprise.metals",
                        absl::StrCat("1 to ", kMaxMetalsPerEnterprise, " metal codes"));
  }
  if (e.depot_ids.empty() || e.depot_ids.size() > kMaxDepotsPerEnterprise) {
    return InvalidField("enterprise.depot_ids",
                        absl::StrCat("1 to ", kMaxDepotsPerEnterprise, " depots"));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < e.metals.size(); ++i) {
    std::string f = absl::StrCat("enterprise.metals[", i, "]");
    if (absl::Status s = CheckMetalCode(e.metals[i], f); !s.ok()) return s;
    if (!seen.insert(e.metals[i]).second) return InvalidField(f, "appears twice");
  }
  seen.clear();
  for (size_t i = 0; i < e.depot_ids.size(); ++i) {
    std::string f = absl::StrCat("enterprise.depot_ids[", i, "]");
    if (absl::Status s = CheckLotId(e.depot_ids[i], f); !s.ok()) return s;
    if (!seen.insert(e.depot_ids[i]).second) return InvalidField(f, "appears twice");
  }
  return absl::OkStatus();
}

absl::Status CheckAgreement(const Agreement& a) {
  if (absl::Status s = CheckId(a.id, "agreement.agreement_id"); !s.ok()) return s;
  if (absl::Status s = CheckId(a.enterprise_id, "agreement.enterprise_id"); !s.ok()) return s;
  if (absl::Status s = CheckMetalCode(a.metal, "agreement.metal"); !s.ok()) return s;
  if (a.committed_mass_g <= 0)
    return InvalidField("agreement.committed_mass_g", "must be positive");
  if (absl::Status s = CheckDate(a.start_date, "agreement.start_date"); !s.ok()) return s;
  if (absl::Status s = CheckDate(a.end_date, "agreement.end_date"); !s.ok()) return s;
  if (a.end_date < a.start_date) {
    return InvalidField("agreement.end_date", "must not be before the start date");
  }
  if (a.depot_ids.empty() || a.depot_ids.size() > kMaxDepotsPerEnterprise) {
    return InvalidField("agreement.depot_ids",
                        absl::StrCat("1 to ", kMaxDepotsPerEnterprise, " depots"));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < a.depot_ids.size(); ++i) {
    std::string f = absl::StrCat("agreement.depot_ids[", i, "]");
    if (absl::Status s = CheckLotId(a.depot_ids[i], f); !s.ok()) return s;
    if (!seen.insert(a.depot_ids[i]).second) return InvalidField(f, "appears twice");
  }
  if (absl::Status s = CheckCurrency(a.currency, "agreement.currency"); !s.ok()) return s;
  if (a.storage_subsidy_minor_per_t_per_day < 0) {
    return InvalidField("agreement.storage_subsidy_minor_per_t_per_day", "must not be negative");
  }
  if (a.interest_subsidy_bp < 0 || a.interest_subsidy_bp > kBasisPoints) {
    return InvalidField("agreement.interest_subsidy_bp", "between 0 and 10000");
  }
  if (a.call_up_notice_days < 0 || a.call_up_notice_days > 3660) {
    return InvalidField("agreement.call_up_notice_days", "between 0 and 3660");
  }
  switch (a.call_up_price_rule) {
    case CallUpPriceRule::kFixed:
      if (a.call_up_price_minor_per_t <= 0) {
        return InvalidField("agreement.call_up_price_minor_per_t",
                            "must be positive with the fixed rule");
      }
      if (a.call_up_market_discount_bp != 0) {
        return InvalidField("agreement.call_up_market_discount_bp", "only with the market rule");
      }
      break;
    case CallUpPriceRule::kMarket:
      if (a.call_up_market_discount_bp < 0 || a.call_up_market_discount_bp >= kBasisPoints) {
        return InvalidField("agreement.call_up_market_discount_bp", "between 0 and 9999");
      }
      if (a.call_up_price_minor_per_t != 0) {
        return InvalidField("agreement.call_up_price_minor_per_t", "only with the fixed rule");
      }
      break;
    case CallUpPriceRule::kUnspecified:
      return InvalidField("agreement.call_up_price_rule", "required");
  }
  return absl::OkStatus();
}

absl::Status CheckRange(absl::CivilDay from, absl::CivilDay to, absl::string_view from_field,
                        absl::string_view to_field) {
  if (absl::Status s = CheckDate(from, from_field); !s.ok()) return s;
  if (absl::Status s = CheckDate(to, to_field); !s.ok()) return s;
  if (to < from) return InvalidField(to_field, "must not be before the start");
  if (DaysInclusive(from, to) > kMaxDaysPerQuery) {
    return InvalidField(to_field, absl::StrCat("at most ", kMaxDaysPerQuery, " days"));
  }
  return absl::OkStatus();
}

bool Overlaps(absl::CivilDay a_start, absl::CivilDay a_end, absl::CivilDay b_start,
              absl::CivilDay b_end) {
  return a_start <= b_end && b_start <= a_end;
}

// ---- Balance history ----

// The accounts that hold an agreement's metal for its enterprise in its warehouses.
std::vector<std::string> HoldingAccounts(const Agreement& a) {
  std::vector<std::string> out;
  for (const std::string& depot : a.depot_ids) {
    out.push_back(
        inventory::StockAccountName(a.metal, depot, ReserveClass::kCommercial, a.enterprise_id));
  }
  return out;
}

// End-of-day mass held per day of [from, to] in `accounts` (summed), from their posting
// history, every read at one sequence number (options.at_seq is set by the first read).
absl::StatusOr<std::vector<int64_t>> HeldByDay(ledger::Ledger& ledger,
                                               const std::vector<std::string>& accounts,
                                               absl::CivilDay from, absl::CivilDay to,
                                               ledger::ReadOptions& options) {
  const int64_t days = DaysInclusive(from, to);
  std::vector<int64_t> delta(static_cast<size_t>(days), 0);
  int64_t opening = 0;
  bool overflow = false;
  auto add = [&overflow](int64_t& into, int64_t amount) {
    std::optional<int64_t> sum = CheckedAdd(into, amount);
    if (!sum.has_value()) {
      overflow = true;
      return;
    }
    into = *sum;
  };
  for (const std::string& account : accounts) {
    ledger::Page page{ledger::kMaxPageSize, ""};
    size_t seen = 0;
    while (true) {
      absl::StatusOr<ledger::MovementPage> p = ledger.AccountHistory(account, page, options);
      if (!p.ok()) return p.status();
      options.at_seq = p->as_of_seq;
      for (const ledger::AccountMovement& m : p->movements) {
        if (m.business_date < from) {
          add(opening, m.amount);
        } else if (m.business_date <= to) {
          add(delta[static_cast<size_t>(m.business_date - from)], m.amount);
        }
      }
      seen += p->movements.size();
      if (seen > kMaxMovementsPerAccount) {
        return absl::ResourceExhaustedError(absl::StrCat("account ", account, " has more than ",
                                                         kMaxMovementsPerAccount, " movements"));
      }
      if (p->next_page_token.empty()) break;
      page.page_token = p->next_page_token;
    }
  }
  std::vector<int64_t> held(static_cast<size_t>(days));
  int64_t running = opening;
  for (size_t i = 0; i < held.size(); ++i) {
    add(running, delta[i]);
    held[i] = running;
  }
  if (overflow) return absl::OutOfRangeError("held mass overflows 64 bits");
  // The ledger's own as-of-date balance must agree with the history just summed.
  if (!accounts.empty()) {
    absl::StatusOr<ledger::BalanceSet> end = ledger.GetBalancesAsOfDate(accounts, to, options);
    if (!end.ok()) return end.status();
    int64_t total = 0;
    for (const ledger::Balance& b : end->balances) add(total, b.exists ? b.amount : 0);
    if (overflow || (!held.empty() && total != held.back())) {
      return absl::InternalError(absl::StrCat("balance history of ", accounts.front(),
                                              " disagrees with its balance as of ",
                                              FormatDate(to)));
    }
  }
  return held;
}

// Principal-days the pledge financed within [from, to]: it finances from its start date to
// the day before it ended (released or enforced that day).
absl::StatusOr<int64_t> FinancedMinorDays(const Pledge& p, absl::CivilDay from, absl::CivilDay to) {
  const absl::CivilDay last = p.end_date.has_value() ? *p.end_date - 1 : to;
  int64_t total = 0;
  for (size_t i = 0; i < p.principal_history.size(); ++i) {
    const PrincipalStep& step = p.principal_history[i];
    const absl::CivilDay step_end =
        i + 1 < p.principal_history.size() ? p.principal_history[i + 1].from - 1 : last;
    const absl::CivilDay lo = std::max({step.from, from, p.start_date});
    const absl::CivilDay hi = std::min({step_end, to, last});
    std::optional<int64_t> product = CheckedMul(DaysInclusive(lo, hi), step.principal_minor);
    std::optional<int64_t> sum = product.has_value() ? CheckedAdd(total, *product) : std::nullopt;
    if (!sum.has_value()) return absl::OutOfRangeError("financed amount overflows 64 bits");
    total = *sum;
  }
  return total;
}

// Every pledge record (any bank), decoded, at `options` (set on the first read).
absl::StatusOr<std::vector<std::pair<Pledge, uint64_t>>> AllPledges(ledger::Ledger& ledger,
                                                                    ledger::ReadOptions options) {
  absl::StatusOr<ledger::RecordPage> all =
      internal::ScanAll(ledger, keys::PledgePrefix(""), kMaxRecordsScanned, options);
  if (!all.ok()) return all.status();
  std::vector<std::pair<Pledge, uint64_t>> out;
  out.reserve(all->records.size());
  for (const ledger::Record& r : all->records) {
    absl::StatusOr<Pledge> p = DecodePledge(r.value);
    if (!p.ok()) return p.status();
    out.emplace_back(*std::move(p), r.version);
  }
  return out;
}

// The latest inventory price mark of `metal` in `currency` dated on or before `date`.
absl::StatusOr<inventory::PriceMark> LatestMark(ledger::Ledger& ledger, absl::string_view metal,
                                                absl::string_view currency, absl::CivilDay date) {
  absl::StatusOr<ledger::RecordPage> marks =
      internal::ScanAll(ledger, keys::PriceMarkPrefix(metal), kMaxRecordsScanned);
  if (!marks.ok()) return marks.status();
  std::optional<inventory::PriceMark> best;
  for (const ledger::Record& r : marks->records) {
    absl::StatusOr<inventory::PriceMark> m = inventory::DecodePriceMark(r.value);
    if (!m.ok()) return m.status();
    if (m->date > date) break;  // keys sort by date
    if (m->currency == currency) best = *std::move(m);
  }
  if (!best.has_value()) {
    return Precondition(why::kNoPriceMark, absl::StrCat("no ", currency, " price mark for ", metal,
                                                        " on or before ", FormatDate(date)));
  }
  return *best;
}

std::string StatementId(absl::string_view enterprise, absl::CivilDay start, absl::CivilDay end) {
  return absl::StrFormat("%s:%04d%02d%02d-%04d%02d%02d", enterprise, start.year(), start.month(),
                         start.day(), end.year(), end.month(), end.day());
}

// "<enterprise>:<YYYYMMDD>-<YYYYMMDD>" -> the enterprise.
absl::StatusOr<std::string> EnterpriseOfStatement(absl::string_view id) {
  size_t colon = id.find(':');
  if (colon == absl::string_view::npos || id.size() - colon - 1 != 17 ||
      !CheckId(id.substr(0, colon), "statement_id").ok()) {
    return InvalidField("statement_id", "not a statement id (<enterprise>:<YYYYMMDD>-<YYYYMMDD>)");
  }
  return std::string(id.substr(0, colon));
}

absl::Status BudgetRefusal(const absl::Status& s) {
  std::optional<std::string> r = ReasonOf(s);
  if (r.has_value() && *r == reason::kInsufficientBalance) {
    return Precondition(why::kBudgetInsufficient, "the budget does not cover the payment");
  }
  return s;
}

absl::StatusOr<int64_t> BudgetBalanceOf(ledger::Ledger& ledger, Budget budget,
                                        absl::string_view currency, ledger::ReadOptions options) {
  const std::string account = keys::BudgetAccount(budget, currency);
  absl::StatusOr<ledger::BalanceSet> b = ledger.GetBalances({account}, options);
  if (!b.ok()) return b.status();
  return b->balances[0].exists ? b->balances[0].amount : 0;
}

}  // namespace

// ---- Enterprises ----

absl::StatusOr<Mutation<Enterprise>> CommercialReserve::EnrolEnterprise(
    const Context& ctx, const Enterprise& enterprise) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  Enterprise e = enterprise;
  if (absl::Status s = CheckEnterprise(e); !s.ok()) return s;
  e.enrolled_date = ctx.business_date;
  e.subsidised_through.reset();
  const std::string request = EncodeEnterprise(e);
  auto planner = [&]() -> absl::StatusOr<Plan> {
    std::vector<std::string> read = {keys::Enterprise(e.id)};
    for (const std::string& m : e.metals) read.push_back(absl::StrCat("metal/", m));
    for (const std::string& d : e.depot_ids) read.push_back(keys::Depot(d));
    absl::StatusOr<ledger::RecordSet> set = ReadRecords(ledger_, read);
    if (!set.ok()) return set.status();
    if (set->records[0].version != 0) {
      return Precondition(why::kEnterpriseExists, absl::StrCat("enterprise ", e.id, " exists"));
    }
    for (size_t i = 0; i < e.metals.size(); ++i) {
      if (set->records[1 + i].version == 0) {
        return NotFound(why::kUnknownMetal,
                        absl::StrCat("enterprise.metals[", i, "]: no metal ", e.metals[i]));
      }
    }
    for (size_t i = 0; i < e.depot_ids.size(); ++i) {
      if (set->records[1 + e.metals.size() + i].version == 0) {
        return NotFound(why::kUnknownDepot,
                        absl::StrCat("enterprise.depot_ids[", i, "]: no depot ", e.depot_ids[i]));
      }
    }
    Plan plan;
    const std::string record = EncodeEnterprise(e);
    plan.tx.writes.push_back(ledger::RecordWrite{keys::Enterprise(e.id), 0, record, false});
    plan.response = record;
    return plan;
  };
  return Decoded<Enterprise>(Run(ledger_, ctx, "commercial.enrol_enterprise", request, planner),
                             &DecodeEnterprise);
}

absl::StatusOr<Enterprise> CommercialReserve::GetEnterprise(const Scope& scope,
                                                            absl::string_view id) {
  if (absl::Status s = CheckId(id, "enterprise_id"); !s.ok()) return s;
  if (!Visible(scope, id)) {
    return NotFound(why::kUnknownEnterprise, absl::StrCat("no enterprise ", id));
  }
  absl::StatusOr<Loaded<Enterprise>> e = LoadEnterprise(ledger_, id);
  if (!e.ok()) return e.status();
  return std::move(e->value);
}

absl::StatusOr<Page<Enterprise>> CommercialReserve::ListEnterprises(size_t page_size,
                                                                    const std::string& token) {
  if (absl::Status s = CheckPageSize(page_size); !s.ok()) return s;
  Page<Enterprise> out;
  absl::StatusOr<std::string> next =
      domain::FilteredPage(ledger_, "enterprise/", page_size, token,
                           [&](const ledger::Record& r) -> absl::StatusOr<bool> {
                             absl::StatusOr<Enterprise> e = DecodeEnterprise(r.value);
                             if (!e.ok()) return e.status();
                             out.items.push_back(*std::move(e));
                             return true;
                           });
  if (!next.ok()) return next.status();
  out.next_page_token = *std::move(next);
  return out;
}

// ---- Agreements ----

absl::StatusOr<Mutation<Agreement>> CommercialReserve::CreateAgreement(const Context& ctx,
                                                                       const Agreement& agreement) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  Agreement a = agreement;
  a.extensions.clear();
  if (absl::Status s = CheckAgreement(a); !s.ok()) return s;
  const std::string request = EncodeAgreement(a);
  auto planner = [&]() -> absl::StatusOr<Plan> {
    const std::string index_key = keys::AgreementIndex(a.enterprise_id, a.metal);
    absl::StatusOr<ledger::RecordSet> set =
        ReadRecords(ledger_, {keys::Agreement(a.id), keys::Enterprise(a.enterprise_id), index_key});
    if (!set.ok()) return set.status();
    if (set->records[0].version != 0) {
      return Precondition(why::kAgreementExists, absl::StrCat("agreement ", a.id, " exists"));
    }
    if (set->records[1].version == 0) {
      return NotFound(why::kUnknownEnterprise,
                      absl::StrCat("agreement.enterprise_id: no enterprise ", a.enterprise_id));
    }
    absl::StatusOr<Enterprise> e = DecodeEnterprise(set->records[1].value);
    if (!e.ok()) return e.status();
    if (std::find(e->metals.begin(), e->metals.end(), a.metal) == e->metals.end()) {
      return Precondition(why::kMetalNotEnrolled,
                          absl::StrCat("enterprise ", e->id, " is not enrolled for ", a.metal));
    }
    for (size_t i = 0; i < a.depot_ids.size(); ++i) {
      if (std::find(e->depot_ids.begin(), e->depot_ids.end(), a.depot_ids[i]) ==
          e->depot_ids.end()) {
        return Precondition(why::kDepotNotEnrolled,
                            absl::StrCat("agreement.depot_ids[", i, "]: enterprise ", e->id,
                                         " does not use depot ", a.depot_ids[i]));
      }
    }
    AgreementIndex index;
    if (set->records[2].version != 0) {
      absl::StatusOr<AgreementIndex> i = DecodeAgreementIndex(set->records[2].value);
      if (!i.ok()) return i.status();
      index = *std::move(i);
    }
    for (const AgreementTerm& t : index.terms) {
      if (Overlaps(t.start_date, t.end_date, a.start_date, a.end_date)) {
        return Precondition(
            why::kAgreementOverlap,
            absl::StrCat("agreement ", t.id, " of ", a.enterprise_id, " for ", a.metal, " runs ",
                         FormatDate(t.start_date), " to ", FormatDate(t.end_date)));
      }
    }
    if (index.terms.size() >= kMaxTermsPerIndex) {
      return absl::ResourceExhaustedError(absl::StrCat("more than ", kMaxTermsPerIndex,
                                                       " agreements for one enterprise and metal"));
    }
    index.terms.push_back(AgreementTerm{a.id, a.start_date, a.end_date, a.depot_ids});
    Plan plan;
    const std::string record = EncodeAgreement(a);
    plan.tx.writes.push_back(ledger::RecordWrite{keys::Agreement(a.id), 0, record, false});
    plan.response = record;
    plan.tx.writes.push_back(ledger::RecordWrite{index_key, set->records[2].version,
                                                 EncodeAgreementIndex(index), false});
    plan.tx.checks.push_back(
        ledger::RecordCheck{keys::Enterprise(a.enterprise_id), set->records[1].version});
    return plan;
  };
  return Decoded<Agreement>(Run(ledger_, ctx, "commercial.create_agreement", request, planner),
                            &DecodeAgreement);
}

absl::StatusOr<Mutation<Agreement>> CommercialReserve::ExtendAgreement(
    const Context& ctx, absl::string_view agreement_id, absl::CivilDay new_end) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  if (absl::Status s = CheckId(agreement_id, "agreement_id"); !s.ok()) return s;
  if (absl::Status s = CheckDate(new_end, "new_end_date"); !s.ok()) return s;
  const std::string request = absl::StrCat("extend|", agreement_id, "|", FormatDate(new_end));
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<Loaded<Agreement>> a = LoadAgreement(ledger_, agreement_id);
    if (!a.ok()) return a.status();
    Agreement& agreement = a->value;
    if (new_end <= agreement.end_date) {
      return Precondition(why::kNotExtended, absl::StrCat("agreement ", agreement.id, " ends on ",
                                                          FormatDate(agreement.end_date)));
    }
    if (agreement.extensions.size() >= kMaxExtensions) {
      return absl::ResourceExhaustedError("too many extensions of one agreement");
    }
    const std::string index_key = keys::AgreementIndex(agreement.enterprise_id, agreement.metal);
    absl::StatusOr<ledger::RecordSet> idx = ReadRecords(ledger_, {index_key});
    if (!idx.ok()) return idx.status();
    absl::StatusOr<AgreementIndex> index = DecodeAgreementIndex(idx->records[0].value);
    if (!index.ok()) return index.status();
    for (AgreementTerm& t : index->terms) {
      if (t.id == agreement.id) {
        t.end_date = new_end;
      } else if (Overlaps(t.start_date, t.end_date, agreement.start_date, new_end)) {
        return Precondition(why::kAgreementOverlap, absl::StrCat("agreement ", t.id, " starts on ",
                                                                 FormatDate(t.start_date)));
      }
    }
    agreement.extensions.push_back(
        AgreementExtension{ctx.business_date, agreement.end_date, new_end});
    agreement.end_date = new_end;
    Plan plan;
    const std::string record = EncodeAgreement(agreement);
    plan.tx.writes.push_back(
        ledger::RecordWrite{keys::Agreement(agreement.id), a->version, record, false});
    plan.response = record;
    plan.tx.writes.push_back(ledger::RecordWrite{index_key, idx->records[0].version,
                                                 EncodeAgreementIndex(*index), false});
    return plan;
  };
  return Decoded<Agreement>(Run(ledger_, ctx, "commercial.extend_agreement", request, planner),
                            &DecodeAgreement);
}

absl::StatusOr<Agreement> CommercialReserve::GetAgreement(const Scope& scope,
                                                          absl::string_view id) {
  if (absl::Status s = CheckId(id, "agreement_id"); !s.ok()) return s;
  absl::StatusOr<Loaded<Agreement>> a = LoadAgreement(ledger_, id);
  if (!a.ok()) return a.status();
  if (!Visible(scope, a->value.enterprise_id)) {
    return NotFound(why::kUnknownAgreement, absl::StrCat("no agreement ", id));
  }
  return std::move(a->value);
}

absl::StatusOr<Page<Agreement>> CommercialReserve::ListAgreements(const Scope& scope,
                                                                  absl::string_view enterprise,
                                                                  size_t page_size,
                                                                  const std::string& token) {
  if (absl::Status s = CheckPageSize(page_size); !s.ok()) return s;
  if (!enterprise.empty()) {
    if (absl::Status s = CheckId(enterprise, "enterprise_id"); !s.ok()) return s;
  }
  Page<Agreement> out;
  auto take = [&](const ledger::Record& r) -> absl::StatusOr<bool> {
    absl::StatusOr<Agreement> a = DecodeAgreement(r.value);
    if (!a.ok()) return a.status();
    if (!Visible(scope, a->enterprise_id) ||
        (!enterprise.empty() && a->enterprise_id != enterprise)) {
      return false;
    }
    out.items.push_back(*std::move(a));
    return true;
  };
  absl::StatusOr<std::string> next =
      domain::FilteredPage(ledger_, "agreement/", page_size, token, take);
  if (!next.ok()) return next.status();
  out.next_page_token = *std::move(next);
  return out;
}

// ---- Compliance ----

absl::StatusOr<Compliance> CommercialReserve::GetCompliance(const Scope& scope,
                                                            absl::string_view agreement_id,
                                                            absl::CivilDay from,
                                                            absl::CivilDay to) {
  if (absl::Status s = CheckRange(from, to, "from_date", "to_date"); !s.ok()) return s;
  absl::StatusOr<Agreement> a = GetAgreement(scope, agreement_id);
  if (!a.ok()) return a.status();
  ledger::ReadOptions options;
  absl::StatusOr<std::vector<int64_t>> held =
      HeldByDay(ledger_, HoldingAccounts(*a), from, to, options);
  if (!held.ok()) return held.status();
  Compliance out;
  out.agreement_id = a->id;
  out.as_of_seq = options.at_seq;
  bool any_in_term = false;
  for (size_t i = 0; i < held->size(); ++i) {
    ComplianceDay d;
    d.date = from + static_cast<int64_t>(i);
    d.held_mass_g = (*held)[i];
    const bool in_term = d.date >= a->start_date && d.date <= a->end_date;
    d.committed_mass_g = in_term ? a->committed_mass_g : 0;
    d.shortfall_g = std::max<int64_t>(0, d.committed_mass_g - d.held_mass_g);
    if (in_term) {
      ++out.days_in_term;
      out.min_held_mass_g =
          any_in_term ? std::min(out.min_held_mass_g, d.held_mass_g) : d.held_mass_g;
      any_in_term = true;
    }
    out.days.push_back(d);
  }
  return out;
}

// ---- Subsidies ----

absl::StatusOr<Mutation<SubsidyStatement>> CommercialReserve::IssueStatement(
    const Context& ctx, absl::string_view enterprise, absl::CivilDay start, absl::CivilDay end) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  if (absl::Status s = CheckId(enterprise, "enterprise_id"); !s.ok()) return s;
  if (absl::Status s = CheckRange(start, end, "period_start", "period_end"); !s.ok()) return s;
  const std::string request =
      absl::StrCat("statement|", enterprise, "|", FormatDate(start), "|", FormatDate(end));
  auto planner = [&]() -> absl::StatusOr<Plan> {
    if (end >= ctx.business_date) {
      return Precondition(why::kPeriodNotPast,
                          absl::StrCat("the period must end before the business date ",
                                       FormatDate(ctx.business_date)));
    }
    // Everything is read at one sequence number: one consistent history.
    absl::StatusOr<ledger::Head> head = ledger_.GetHead();
    if (!head.ok()) return head.status();
    ledger::ReadOptions at{head->seq};
    absl::StatusOr<Loaded<Enterprise>> e = LoadEnterprise(ledger_, enterprise, at);
    if (!e.ok()) return e.status();
    if (e->value.subsidised_through.has_value() && start != *e->value.subsidised_through + 1) {
      return Precondition(why::kStatementPeriod,
                          absl::StrCat("the next statement of ", enterprise, " starts on ",
                                       FormatDate(*e->value.subsidised_through + 1)));
    }
    std::vector<std::string> index_keys;
    for (const std::string& m : e->value.metals) {
      index_keys.push_back(keys::AgreementIndex(enterprise, m));
    }
    absl::StatusOr<ledger::RecordSet> indexes = ReadRecords(ledger_, index_keys, at);
    if (!indexes.ok()) return indexes.status();
    std::vector<std::string> agreement_keys;
    for (const ledger::Record& r : indexes->records) {
      if (r.version == 0) continue;
      absl::StatusOr<AgreementIndex> index = DecodeAgreementIndex(r.value);
      if (!index.ok()) return index.status();
      for (const AgreementTerm& t : index->terms) {
        if (Overlaps(t.start_date, t.end_date, start, end)) {
          agreement_keys.push_back(keys::Agreement(t.id));
        }
      }
    }
    absl::StatusOr<ledger::RecordSet> agreements = ReadRecords(ledger_, agreement_keys, at);
    if (!agreements.ok()) return agreements.status();
    absl::StatusOr<std::vector<std::pair<Pledge, uint64_t>>> pledges = AllPledges(ledger_, at);
    if (!pledges.ok()) return pledges.status();

    SubsidyStatement st;
    st.id = StatementId(enterprise, start, end);
    st.enterprise_id = std::string(enterprise);
    st.period_start = start;
    st.period_end = end;
    st.status = StatementStatus::kIssued;
    st.issued_date = ctx.business_date;
    st.as_of_seq = at.at_seq;
    for (const ledger::Record& r : agreements->records) {
      absl::StatusOr<Agreement> a = DecodeAgreement(r.value);
      if (!a.ok()) return a.status();
      if (st.currency.empty()) st.currency = a->currency;
      if (a->currency != st.currency) {
        return Precondition(
            why::kMixedCurrencies,
            absl::StrCat("agreements of ", enterprise, " in the period are in ", st.currency,
                         " and ", a->currency, ": one statement has one currency"));
      }
      const absl::CivilDay lo = std::max(start, a->start_date);
      const absl::CivilDay hi = std::min(end, a->end_date);
      SubsidyLine line;
      line.agreement_id = a->id;
      line.metal = a->metal;
      line.days_in_term = DaysInclusive(lo, hi);
      absl::StatusOr<std::vector<int64_t>> held =
          HeldByDay(ledger_, HoldingAccounts(*a), lo, hi, at);
      if (!held.ok()) return held.status();
      for (int64_t g : *held) {
        std::optional<int64_t> sum =
            CheckedAdd(line.held_gram_days, std::clamp<int64_t>(g, 0, a->committed_mass_g));
        if (!sum.has_value()) return absl::OutOfRangeError("gram-days overflow 64 bits");
        line.held_gram_days = *sum;
      }
      for (const auto& [p, version] : *pledges) {
        if (p.agreement_id != a->id) continue;
        absl::StatusOr<int64_t> financed = FinancedMinorDays(p, lo, hi);
        std::optional<int64_t> sum =
            financed.ok() ? CheckedAdd(line.financed_minor_days, *financed) : std::nullopt;
        if (!sum.has_value()) return absl::OutOfRangeError("financed amount overflows 64 bits");
        line.financed_minor_days = *sum;
      }
      // The one rounding of each amount (storage/exact.h: half away from zero).
      std::optional<int64_t> storage =
          MulDiv(line.held_gram_days, a->storage_subsidy_minor_per_t_per_day, kGramsPerTonne);
      std::optional<int64_t> interest =
          MulDiv(line.financed_minor_days, a->interest_subsidy_bp, kBasisPoints * kDaysPerYear);
      if (!storage.has_value() || !interest.has_value()) {
        return absl::OutOfRangeError("subsidy overflows 64 bits");
      }
      line.storage_subsidy_minor = *storage;
      line.interest_subsidy_minor = *interest;
      std::optional<int64_t> total = CheckedAdd(st.total_minor, *storage);
      total = total.has_value() ? CheckedAdd(*total, *interest) : std::nullopt;
      if (!total.has_value()) return absl::OutOfRangeError("subsidy overflows 64 bits");
      st.total_minor = *total;
      st.lines.push_back(std::move(line));
    }
    if (st.currency.empty()) st.currency = "CNY";  // no agreement in the period: an empty statement
    Enterprise updated = e->value;
    updated.subsidised_through = end;
    Plan plan;
    const std::string record = EncodeStatement(st);
    plan.tx.writes.push_back(ledger::RecordWrite{keys::Statement(st.id), 0, record, false});
    plan.response = record;
    plan.tx.writes.push_back(ledger::RecordWrite{keys::Enterprise(enterprise), e->version,
                                                 EncodeEnterprise(updated), false});
    return plan;
  };
  return Decoded<SubsidyStatement>(
      Run(ledger_, ctx, "commercial.issue_subsidy_statement", request, planner), &DecodeStatement);
}

absl::StatusOr<SubsidyStatement> CommercialReserve::GetStatement(const Scope& scope,
                                                                 absl::string_view id) {
  absl::StatusOr<std::string> enterprise = EnterpriseOfStatement(id);
  if (!enterprise.ok()) return enterprise.status();
  auto missing = NotFound(why::kUnknownStatement, absl::StrCat("no subsidy statement ", id));
  if (!Visible(scope, *enterprise)) return missing;
  absl::StatusOr<Loaded<SubsidyStatement>> s =
      Load<SubsidyStatement>(ledger_, keys::Statement(id), why::kUnknownStatement,
                             "subsidy statement", id, &DecodeStatement);
  if (!s.ok()) return s.status();
  return std::move(s->value);
}

absl::StatusOr<Page<SubsidyStatement>> CommercialReserve::ListStatements(
    const Scope& scope, absl::string_view enterprise, size_t page_size, const std::string& token) {
  if (absl::Status s = CheckPageSize(page_size); !s.ok()) return s;
  if (absl::Status s = CheckId(enterprise, "enterprise_id"); !s.ok()) return s;
  Page<SubsidyStatement> out;
  if (!Visible(scope, enterprise)) return out;
  absl::StatusOr<std::string> next =
      domain::FilteredPage(ledger_, keys::StatementPrefix(enterprise), page_size, token,
                           [&](const ledger::Record& r) -> absl::StatusOr<bool> {
                             absl::StatusOr<SubsidyStatement> s = DecodeStatement(r.value);
                             if (!s.ok()) return s.status();
                             out.items.push_back(*std::move(s));
                             return true;
                           });
  if (!next.ok()) return next.status();
  out.next_page_token = *std::move(next);
  return out;
}

absl::StatusOr<Mutation<SubsidyStatement>> CommercialReserve::PayStatement(
    const Context& ctx, absl::string_view statement_id) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  if (absl::Status s = EnterpriseOfStatement(statement_id).status(); !s.ok()) return s;
  const std::string request = absl::StrCat("pay|", statement_id);
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<Loaded<SubsidyStatement>> s =
        Load<SubsidyStatement>(ledger_, keys::Statement(statement_id), why::kUnknownStatement,
                               "subsidy statement", statement_id, &DecodeStatement);
    if (!s.ok()) return s.status();
    SubsidyStatement& st = s->value;
    if (st.status != StatementStatus::kIssued) {
      return Precondition(why::kStatementPaid, absl::StrCat("statement ", st.id, " is paid"));
    }
    absl::StatusOr<int64_t> budget = BudgetBalanceOf(ledger_, Budget::kSubsidy, st.currency, {});
    if (!budget.ok()) return budget.status();
    if (*budget < st.total_minor) {
      return Precondition(
          why::kBudgetInsufficient,
          absl::StrCat("the subsidy budget holds ", *budget, " ", st.currency,
                       " minor units; statement ", st.id, " needs ", st.total_minor));
    }
    Plan plan;
    internal::TxBuilder postings;
    postings.Move(st.currency, keys::BudgetAccount(Budget::kSubsidy, st.currency), true,
                  keys::PaidAccount(Budget::kSubsidy, st.currency, st.enterprise_id), false,
                  st.total_minor);
    if (absl::Status f = postings.Finish(plan.tx); !f.ok()) return f;
    st.status = StatementStatus::kPaid;
    st.paid_date = ctx.business_date;
    const std::string record = EncodeStatement(st);
    plan.tx.writes.push_back(
        ledger::RecordWrite{keys::Statement(st.id), s->version, record, false});
    plan.response = record;
    return plan;
  };
  absl::StatusOr<Mutation<std::string>> done =
      Run(ledger_, ctx, "commercial.pay_subsidy_statement", request, planner);
  if (!done.ok()) return BudgetRefusal(done.status());
  return Decoded<SubsidyStatement>(std::move(done), &DecodeStatement);
}

absl::StatusOr<Mutation<BudgetBalance>> CommercialReserve::FundBudget(const Context& ctx,
                                                                      Budget budget,
                                                                      absl::string_view currency,
                                                                      int64_t amount_minor,
                                                                      absl::string_view memo) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  if (budget == Budget::kUnspecified) return InvalidField("budget", "required");
  if (absl::Status s = CheckCurrency(currency, "currency"); !s.ok()) return s;
  if (amount_minor <= 0) return InvalidField("amount_minor", "must be positive");
  if (absl::Status s = CheckText(memo, "memo", false); !s.ok()) return s;
  const std::string request =
      absl::StrCat("fund|", BudgetName(budget), "|", currency, "|", amount_minor, "|", memo);
  auto planner = [&]() -> absl::StatusOr<Plan> {
    Plan plan;
    internal::TxBuilder postings;
    postings.Move(std::string(currency), keys::TreasuryAccount(currency), false,
                  keys::BudgetAccount(budget, currency), true, amount_minor);
    if (absl::Status f = postings.Finish(plan.tx); !f.ok()) return f;
    plan.tx.memo = std::string(memo);
    plan.response = "{}";
    return plan;
  };
  absl::StatusOr<Mutation<std::string>> done =
      Run(ledger_, ctx, "commercial.fund_budget", request, planner);
  if (!done.ok()) return done.status();
  // The balance as of the funding transaction (also for a replay).
  absl::StatusOr<int64_t> balance = BudgetBalanceOf(ledger_, budget, currency, {done->seq});
  if (!balance.ok()) return balance.status();
  return Mutation<BudgetBalance>{BudgetBalance{budget, std::string(currency), *balance}, done->seq,
                                 done->replayed};
}

absl::StatusOr<BudgetBalance> CommercialReserve::GetBudget(Budget budget,
                                                           absl::string_view currency) {
  if (budget == Budget::kUnspecified) return InvalidField("budget", "required");
  if (absl::Status s = CheckCurrency(currency, "currency"); !s.ok()) return s;
  absl::StatusOr<int64_t> balance = BudgetBalanceOf(ledger_, budget, currency, {});
  if (!balance.ok()) return balance.status();
  return BudgetBalance{budget, std::string(currency), *balance};
}

// ---- Call-ups ----

absl::StatusOr<Mutation<CallUp>> CommercialReserve::IssueCallUp(const Context& ctx,
                                                                const CallUpRequest& r) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  if (absl::Status s = CheckId(r.call_up_id, "call_up_id"); !s.ok()) return s;
  if (absl::Status s = CheckId(r.agreement_id, "agreement_id"); !s.ok()) return s;
  if (r.quantity_g <= 0) return InvalidField("quantity_g", "must be positive");
  if (absl::Status s = CheckId(r.state_owner, "state_owner"); !s.ok()) return s;
  if (absl::Status s = CheckText(r.reason, "reason", true); !s.ok()) return s;
  const std::string request = absl::StrCat("call-up|", r.call_up_id, "|", r.agreement_id, "|",
                                           r.quantity_g, "|", r.state_owner, "|", r.reason);
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<ledger::RecordSet> existing = ReadRecords(ledger_, {keys::CallUp(r.call_up_id)});
    if (!existing.ok()) return existing.status();
    if (existing->records[0].version != 0) {
      return Precondition(why::kCallUpExists, absl::StrCat("call-up ", r.call_up_id, " exists"));
    }
    absl::StatusOr<Loaded<Agreement>> loaded = LoadAgreement(ledger_, r.agreement_id);
    if (!loaded.ok()) return loaded.status();
    const Agreement& a = loaded->value;
    if (ctx.business_date < a.start_date || ctx.business_date > a.end_date) {
      return Precondition(why::kOutsideTerm,
                          absl::StrCat("agreement ", a.id, " runs ", FormatDate(a.start_date),
                                       " to ", FormatDate(a.end_date)));
    }
    if (r.quantity_g > a.committed_mass_g) {
      return Precondition(why::kAboveCommitment,
                          absl::StrCat("agreement ", a.id, " commits ", a.committed_mass_g, " g"));
    }
    CallUp c;
    c.id = r.call_up_id;
    c.agreement_id = a.id;
    c.enterprise_id = a.enterprise_id;
    c.metal = a.metal;
    c.quantity_g = r.quantity_g;
    c.issued_date = ctx.business_date;
    c.due_date = ctx.business_date + a.call_up_notice_days;
    c.currency = a.currency;
    c.state_owner = r.state_owner;
    c.reason = r.reason;
    c.status = CallUpStatus::kOpen;
    if (a.call_up_price_rule == CallUpPriceRule::kFixed) {
      c.price_minor_per_t = a.call_up_price_minor_per_t;
    } else {
      absl::StatusOr<inventory::PriceMark> mark =
          LatestMark(ledger_, a.metal, a.currency, ctx.business_date);
      if (!mark.ok()) return mark.status();
      std::optional<int64_t> price = MulDiv(
          mark->price_minor_per_t, kBasisPoints - a.call_up_market_discount_bp, kBasisPoints);
      if (!price.has_value()) return absl::OutOfRangeError("call-up price overflows 64 bits");
      c.price_minor_per_t = *price;
    }
    // Tell every bank lending against the enterprise's metal, and every bank holding lots it
    // took on default under this agreement.
    absl::StatusOr<std::vector<std::pair<Pledge, uint64_t>>> pledges = AllPledges(ledger_, {});
    if (!pledges.ok()) return pledges.status();
    Plan plan;
    for (auto& [p, version] : *pledges) {
      bool affected = (p.status == PledgeStatus::kActive && p.borrower == a.enterprise_id &&
                       p.metal == a.metal) ||
                      (p.status == PledgeStatus::kEnforced && p.agreement_id == a.id);
      if (!affected) continue;
      if (c.affected_pledge_ids.size() >= kMaxPledgeWritesPerTx) {
        return absl::ResourceExhaustedError("a call-up may concern at most 1000 pledges");
      }
      if (p.call_up_ids.size() >= kMaxCallUpsPerPledge) {
        return absl::ResourceExhaustedError(
            absl::StrCat("pledge ", p.id, " has ", kMaxCallUpsPerPledge, " call-ups"));
      }
      p.call_up_ids.push_back(c.id);
      p.event = PledgeEventKind::kCallUp;
      p.event_ref = c.id;
      c.affected_pledge_ids.push_back(p.id);
      plan.tx.writes.push_back(
          ledger::RecordWrite{keys::Pledge(p.id), version, EncodePledge(p), false});
    }
    plan.tx.checks.push_back(ledger::RecordCheck{keys::Agreement(a.id), loaded->version});
    plan.tx.memo = r.reason;
    const std::string record = EncodeCallUp(c);
    plan.tx.writes.push_back(ledger::RecordWrite{keys::CallUp(c.id), 0, record, false});
    plan.response = record;
    return plan;
  };
  return Decoded<CallUp>(Run(ledger_, ctx, "commercial.issue_call_up", request, planner),
                         &DecodeCallUp);
}

namespace {

// What a call-up delivery adds up to while its lots are planned one by one.
struct DeliveryPlan {
  std::map<std::string, std::pair<Pledge, uint64_t>> pledges;  // id -> (pledge, version)
  std::vector<inventory::OwnerChange> changes;
  internal::TxBuilder payments;
  std::vector<ledger::RecordWrite> lot_writes;
  int64_t total_paid = 0;
  int64_t delivered_g = 0;
};

// Whether `lot` may be delivered on `c`: the enterprise's commercial lot, or one a bank took
// on default subject to the agreement's call-up right; in stock or pledged; of the metal; in
// one of the agreement's warehouses. Sets `taken_on_default`.
absl::Status CheckCallable(const Lot& lot, const CallUp& c, const Agreement& a,
                           const std::string& field, bool& taken_on_default) {
  const bool enterprise_lot =
      lot.owner == c.enterprise_id && lot.reserve_class == ReserveClass::kCommercial;
  taken_on_default =
      absl::StartsWith(lot.owner, "bank:") &&
      std::any_of(lot.encumbrances.begin(), lot.encumbrances.end(), [&](const Encumbrance& e) {
        return e.kind == kCallUpRightEncumbrance && e.reference == a.id;
      });
  const bool in_place =
      lot.metal == c.metal &&
      (lot.status == LotStatus::kInStock || lot.status == LotStatus::kPledged) &&
      std::find(a.depot_ids.begin(), a.depot_ids.end(), lot.depot) != a.depot_ids.end();
  if (!in_place || (!enterprise_lot && !taken_on_default)) {
    return Precondition(why::kLotNotCallable,
                        absl::StrCat(field, ": lot ", lot.id, " is not ", c.enterprise_id, "'s ",
                                     c.metal, " in stock in a warehouse of agreement ", a.id));
  }
  return absl::OkStatus();
}

// A pledged lot follows the agreement: its bank's consent if asked for; the bank paid first
// up to the principal; the lot leaves the pledge (released when none is left).
absl::Status SettlePledgedLot(ledger::Ledger& ledger, const Lot& lot, const Encumbrance& lien,
                              const CallUp& c, const Agreement& a, const Context& ctx,
                              const std::string& field, int64_t proceeds, CallUpDelivery& d,
                              DeliveryPlan& plan) {
  auto it = plan.pledges.find(lien.reference);
  if (it == plan.pledges.end()) {
    absl::StatusOr<ledger::RecordSet> r = ReadRecords(ledger, {keys::Pledge(lien.reference)});
    if (!r.ok()) return r.status();
    if (r->records[0].version == 0) {
      return absl::InternalError(
          absl::StrCat("lot ", lot.id, " names missing pledge ", lien.reference));
    }
    absl::StatusOr<Pledge> p = DecodePledge(r->records[0].value);
    if (!p.ok()) return p.status();
    it = plan.pledges.emplace(lien.reference, std::make_pair(*std::move(p), r->records[0].version))
             .first;
  }
  Pledge& p = it->second.first;
  if (a.pledged_lots_need_bank_consent &&
      std::find(p.consented_call_up_ids.begin(), p.consented_call_up_ids.end(), c.id) ==
          p.consented_call_up_ids.end()) {
    return Precondition(why::kBankConsentRequired,
                        absl::StrCat(field, ": lot ", lot.id,
                                     " is pledged; its bank has not consented to call-up ", c.id));
  }
  d.bank = p.bank;
  if (a.bank_paid_first) {
    d.paid_to_bank_minor = std::min(proceeds, p.principal_minor);
    d.paid_to_enterprise_minor = proceeds - d.paid_to_bank_minor;
    if (d.paid_to_bank_minor > 0) {
      p.principal_minor -= d.paid_to_bank_minor;
      p.principal_history.push_back(PrincipalStep{ctx.business_date, p.principal_minor});
    }
  }
  std::erase(p.lot_ids, lot.id);
  p.collateral_mass_g -= lot.net_mass_g;
  p.event = PledgeEventKind::kNone;
  p.event_ref.clear();
  if (p.lot_ids.empty()) {
    p.status = PledgeStatus::kReleased;
    p.end_date = ctx.business_date;
    p.event = PledgeEventKind::kReleased;
  }
  return absl::OkStatus();
}

// Plans the delivery of one lot: who is paid what, the owner change, the lot's new record.
absl::Status PlanLotDelivery(ledger::Ledger& ledger, const ledger::Record& r, CallUp& c,
                             const Agreement& a, const Context& ctx, const std::string& field,
                             DeliveryPlan& plan) {
  absl::StatusOr<Lot> lot = inventory::DecodeLot(r.value);
  if (!lot.ok()) return lot.status();
  if (plan.delivered_g >= c.quantity_g) {
    return Precondition(why::kDeliveryExceeds,
                        absl::StrCat(field, ": the call-up's ", c.quantity_g,
                                     " g are delivered before lot ", lot->id));
  }
  bool taken_on_default = false;
  if (absl::Status s = CheckCallable(*lot, c, a, field, taken_on_default); !s.ok()) return s;
  std::optional<int64_t> proceeds = ValueOfMass(lot->net_mass_g, c.price_minor_per_t);
  if (!proceeds.has_value()) return absl::OutOfRangeError("proceeds overflow 64 bits");
  CallUpDelivery d;
  d.lot_id = lot->id;
  d.mass_g = lot->net_mass_g;
  d.business_date = ctx.business_date;
  d.late = ctx.business_date > c.due_date;
  d.paid_to_enterprise_minor = *proceeds;
  if (taken_on_default) {  // the bank owns it now: all to the bank
    d.bank = lot->owner.substr(std::string("bank:").size());
    d.paid_to_bank_minor = *proceeds;
    d.paid_to_enterprise_minor = 0;
  }
  for (const Encumbrance& e : lot->encumbrances) {
    if (e.kind != kPledgeEncumbrance) continue;
    if (absl::Status s = SettlePledgedLot(ledger, *lot, e, c, a, ctx, field, *proceeds, d, plan);
        !s.ok()) {
      return s;
    }
  }
  const std::string budget = keys::BudgetAccount(Budget::kCallUp, c.currency);
  plan.payments.Move(c.currency, budget, true,
                     keys::PaidAccount(Budget::kCallUp, c.currency, BankOwner(d.bank)), false,
                     d.paid_to_bank_minor);
  plan.payments.Move(c.currency, budget, true,
                     keys::PaidAccount(Budget::kCallUp, c.currency, c.enterprise_id), false,
                     d.paid_to_enterprise_minor);
  std::optional<int64_t> paid = CheckedAdd(plan.total_paid, *proceeds);
  std::optional<int64_t> delivered = CheckedAdd(plan.delivered_g, lot->net_mass_g);
  if (!paid.has_value() || !delivered.has_value()) {
    return absl::OutOfRangeError("call-up totals overflow 64 bits");
  }
  plan.total_paid = *paid;
  plan.delivered_g = *delivered;
  if (d.late) c.delivered_late_g += lot->net_mass_g;
  plan.changes.push_back({*lot, c.state_owner, ReserveClass::kCentral});
  Lot after = *lot;
  after.owner = c.state_owner;
  after.reserve_class = ReserveClass::kCentral;
  after.status = LotStatus::kInStock;
  after.encumbrances.clear();
  plan.lot_writes.push_back(
      ledger::RecordWrite{keys::Lot(after.id), r.version, inventory::EncodeLot(after), false});
  c.deliveries.push_back(std::move(d));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Mutation<CallUp>> CommercialReserve::RecordDelivery(
    const Context& ctx, absl::string_view call_up_id, const std::vector<std::string>& lot_ids) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  if (absl::Status s = CheckId(call_up_id, "call_up_id"); !s.ok()) return s;
  if (lot_ids.empty()) return InvalidField("lot_ids", "at least one lot");
  if (lot_ids.size() > kMaxLotsPerDelivery) {
    return InvalidField("lot_ids", absl::StrCat("at most ", kMaxLotsPerDelivery, " lots"));
  }
  std::set<std::string> distinct;
  for (size_t i = 0; i < lot_ids.size(); ++i) {
    std::string f = absl::StrCat("lot_ids[", i, "]");
    if (absl::Status s = CheckLotId(lot_ids[i], f); !s.ok()) return s;
    if (!distinct.insert(lot_ids[i]).second) return InvalidField(f, "appears twice");
  }
  const std::string request =
      absl::StrCat("deliver|", call_up_id, "|", absl::StrJoin(lot_ids, ","));
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<Loaded<CallUp>> loaded = LoadCallUp(ledger_, call_up_id);
    if (!loaded.ok()) return loaded.status();
    CallUp& c = loaded->value;
    if (c.status != CallUpStatus::kOpen) {
      return Precondition(why::kCallUpFulfilled, absl::StrCat("call-up ", c.id, " is fulfilled"));
    }
    absl::StatusOr<Loaded<Agreement>> agreement = LoadAgreement(ledger_, c.agreement_id);
    if (!agreement.ok()) return agreement.status();
    std::vector<std::string> lot_keys;
    for (const std::string& id : lot_ids) lot_keys.push_back(keys::Lot(id));
    absl::StatusOr<ledger::RecordSet> lots = ReadRecords(ledger_, lot_keys);
    if (!lots.ok()) return lots.status();
    DeliveryPlan delivery;
    delivery.delivered_g = c.delivered_g;
    for (size_t i = 0; i < lot_ids.size(); ++i) {
      const std::string field = absl::StrCat("lot_ids[", i, "]");
      if (lots->records[i].version == 0) {
        return NotFound(why::kUnknownLot, absl::StrCat(field, ": no lot ", lot_ids[i]));
      }
      if (absl::Status s =
              PlanLotDelivery(ledger_, lots->records[i], c, agreement->value, ctx, field, delivery);
          !s.ok()) {
        return s;
      }
    }
    absl::StatusOr<int64_t> balance = BudgetBalanceOf(ledger_, Budget::kCallUp, c.currency, {});
    if (!balance.ok()) return balance.status();
    if (*balance < delivery.total_paid) {
      return Precondition(why::kBudgetInsufficient,
                          absl::StrCat("the call-up budget holds ", *balance, " ", c.currency,
                                       " minor units; the delivery costs ", delivery.total_paid));
    }
    std::optional<int64_t> paid = CheckedAdd(c.paid_minor, delivery.total_paid);
    if (!paid.has_value()) return absl::OutOfRangeError("call-up totals overflow 64 bits");
    c.delivered_g = delivery.delivered_g;
    c.paid_minor = *paid;
    if (c.delivered_g >= c.quantity_g) c.status = CallUpStatus::kFulfilled;
    Plan plan;
    if (absl::Status s = inventory::AddOwnerChangePostings(delivery.changes, plan.tx); !s.ok()) {
      return s;
    }
    if (absl::Status s = delivery.payments.Finish(plan.tx); !s.ok()) return s;
    plan.tx.writes = std::move(delivery.lot_writes);
    for (auto& [id, pledge] : delivery.pledges) {
      plan.tx.writes.push_back(
          ledger::RecordWrite{keys::Pledge(id), pledge.second, EncodePledge(pledge.first), false});
    }
    const std::string record = EncodeCallUp(c);
    plan.tx.writes.push_back(
        ledger::RecordWrite{keys::CallUp(c.id), loaded->version, record, false});
    plan.response = record;
    return plan;
  };
  absl::StatusOr<Mutation<std::string>> done =
      Run(ledger_, ctx, "commercial.call_up_delivery", request, planner);
  if (!done.ok()) return BudgetRefusal(done.status());
  return Decoded<CallUp>(std::move(done), &DecodeCallUp);
}

absl::StatusOr<CallUp> CommercialReserve::GetCallUp(const Scope& scope, absl::string_view id) {
  if (absl::Status s = CheckId(id, "call_up_id"); !s.ok()) return s;
  absl::StatusOr<Loaded<CallUp>> c = LoadCallUp(ledger_, id);
  if (!c.ok()) return c.status();
  if (!Visible(scope, c->value.enterprise_id)) {
    return NotFound(why::kUnknownCallUp, absl::StrCat("no call-up ", id));
  }
  return std::move(c->value);
}

absl::StatusOr<Page<CallUp>> CommercialReserve::ListCallUps(const Scope& scope,
                                                            absl::string_view agreement_id,
                                                            size_t page_size,
                                                            const std::string& token) {
  if (absl::Status s = CheckPageSize(page_size); !s.ok()) return s;
  if (!agreement_id.empty()) {
    if (absl::Status s = CheckId(agreement_id, "agreement_id"); !s.ok()) return s;
  }
  Page<CallUp> out;
  auto take = [&](const ledger::Record& r) -> absl::StatusOr<bool> {
    absl::StatusOr<CallUp> c = DecodeCallUp(r.value);
    if (!c.ok()) return c.status();
    if (!Visible(scope, c->enterprise_id) ||
        (!agreement_id.empty() && c->agreement_id != agreement_id)) {
      return false;
    }
    out.items.push_back(*std::move(c));
    return true;
  };
  absl::StatusOr<std::string> next =
      domain::FilteredPage(ledger_, "call-up/", page_size, token, take);
  if (!next.ok()) return next.status();
  out.next_page_token = *std::move(next);
  return out;
}

absl::StatusOr<Mutation<std::vector<std::string>>> CommercialReserve::LiftCallUpRights(
    const Context& ctx, absl::string_view agreement_id) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  if (absl::Status s = CheckId(agreement_id, "agreement_id"); !s.ok()) return s;
  const std::string request = absl::StrCat("lift|", agreement_id);
  auto planner = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<Loaded<Agreement>> a = LoadAgreement(ledger_, agreement_id);
    if (!a.ok()) return a.status();
    if (ctx.business_date <= a->value.end_date) {
      return Precondition(
          why::kAgreementInTerm,
          absl::StrCat("agreement ", agreement_id, " runs to ", FormatDate(a->value.end_date)));
    }
    absl::StatusOr<std::vector<std::pair<Pledge, uint64_t>>> pledges = AllPledges(ledger_, {});
    if (!pledges.ok()) return pledges.status();
    std::vector<std::string> lot_keys;
    for (const auto& [p, version] : *pledges) {
      if (p.status != PledgeStatus::kEnforced || p.agreement_id != agreement_id) continue;
      for (const std::string& id : p.lot_ids) lot_keys.push_back(keys::Lot(id));
    }
    if (lot_keys.size() > kMaxPledgeWritesPerTx) {
      return absl::ResourceExhaustedError("more than 1000 lots to lift in one request");
    }
    absl::StatusOr<ledger::RecordSet> lots = ReadRecords(ledger_, lot_keys);
    if (!lots.ok()) return lots.status();
    Plan plan;
    std::vector<std::string> lifted;
    for (const ledger::Record& r : lots->records) {
      if (r.version == 0) continue;
      absl::StatusOr<Lot> lot = inventory::DecodeLot(r.value);
      if (!lot.ok()) return lot.status();
      size_t before = lot->encumbrances.size();
      std::erase_if(lot->encumbrances, [&](const Encumbrance& e) {
        return e.kind == kCallUpRightEncumbrance && e.reference == agreement_id;
      });
      if (lot->encumbrances.size() == before) continue;  // delivered, or lifted already
      lifted.push_back(lot->id);
      plan.tx.writes.push_back(
          ledger::RecordWrite{r.key, r.version, inventory::EncodeLot(*lot), false});
    }
    plan.tx.checks.push_back(ledger::RecordCheck{keys::Agreement(agreement_id), a->version});
    nlohmann::json ids = lifted;
    plan.response = ids.dump();
    return plan;
  };
  absl::StatusOr<Mutation<std::string>> done =
      Run(ledger_, ctx, "commercial.lift_call_up_rights", request, planner);
  if (!done.ok()) return done.status();
  nlohmann::json ids = nlohmann::json::parse(done->value, nullptr, false);
  if (ids.is_discarded() || !ids.is_array()) return absl::DataLossError("malformed receipt");
  std::vector<std::string> out;
  for (const auto& id : ids) {
    if (!id.is_string()) return absl::DataLossError("malformed receipt");
    out.push_back(id.get<std::string>());
  }
  return Mutation<std::vector<std::string>>{std::move(out), done->seq, done->replayed};
}

}  // namespace reserve::commercial

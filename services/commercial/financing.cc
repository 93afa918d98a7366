#include "services/commercial/financing.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "services/domain/dates.h"
#include "services/inventory/ownership.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::commercial {
namespace {

namespace why = commercial_reason;
using internal::CheckContext;
using internal::CheckCurrency;
using internal::CheckDate;
using internal::CheckId;
using internal::CheckLotId;
using internal::CheckText;
using internal::Fingerprint;
using internal::NotFound;
using internal::ReadRecords;
using inventory::Encumbrance;
using inventory::Lot;
using inventory::LotStatus;

constexpr absl::string_view kPledgeEncumbrance = "pledge";
constexpr absl::string_view kCallUpRightEncumbrance = "call_up_right";
constexpr absl::string_view kPriceMarkPrefix = "price/";
constexpr int64_t kInfiniteLtv = std::numeric_limits<int64_t>::max();
constexpr size_t kFingerprintHexChars = 32;

std::string PledgeIdFor(absl::string_view bank, absl::string_view request_id) {
  return absl::StrCat(bank, ":", Fingerprint(request_id));
}

// "<bank>:<32 lower-case hex>"; returns the bank part.
absl::StatusOr<std::string> BankOfPledgeId(absl::string_view id, absl::string_view field) {
  size_t colon = id.find(':');
  if (colon == absl::string_view::npos) return InvalidField(field, "not a pledge id");
  absl::string_view bank = id.substr(0, colon);
  absl::string_view hex = id.substr(colon + 1);
  if (!CheckId(bank, field).ok() || hex.size() != kFingerprintHexChars ||
      !std::all_of(hex.begin(), hex.end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
      })) {
    return InvalidField(field, "not a pledge id (<bank>:<32 hex digits>)");
  }
  return std::string(bank);
}

// LTV in basis points of `principal` against `mass_g` at `price`; kInfiniteLtv when the
// collateral is worth nothing or the ratio does not fit.
int64_t LtvBp(int64_t principal, int64_t mass_g, int64_t price_minor_per_t) {
  std::optional<int64_t> value = ValueOfMass(mass_g, price_minor_per_t);
  if (!value.has_value() || *value <= 0) return kInfiniteLtv;
  return MulDiv(principal, kBasisPoints, *value).value_or(kInfiniteLtv);
}

// Marks `p` at `price_minor_per_t`: its LTV, and whether that puts it in margin call (at the
// margin-call LTV or above): the one rule of mark to market and of stock counts. True when
// the pledge crossed into or out of the call.
bool MarkPledge(Pledge& p, int64_t price_minor_per_t) {
  const int64_t ltv = LtvBp(p.principal_minor, p.collateral_mass_g, price_minor_per_t);
  const bool in_call = ltv >= p.margin_call_ltv_bp;
  const bool crossed = in_call != p.in_margin_call;
  p.in_margin_call = in_call;
  p.marked_ltv_bp = ltv;
  return crossed;
}

bool HasEncumbrance(const Lot& lot, absl::string_view kind, absl::string_view reference) {
  return std::any_of(lot.encumbrances.begin(), lot.encumbrances.end(), [&](const Encumbrance& e) {
    return e.kind == kind && e.reference == reference;
  });
}

void RemoveEncumbrance(Lot& lot, absl::string_view kind, absl::string_view reference) {
  std::erase_if(lot.encumbrances,
                [&](const Encumbrance& e) { return e.kind == kind && e.reference == reference; });
}

absl::Status PledgeRefusal(Pledgeability p, const Lot& lot, const std::string& field) {
  switch (p) {
    case Pledgeability::kPledgedToYou:
    case Pledgeability::kEncumbered:
      if (lot.status == LotStatus::kPledged) {
        return Precondition(why::kLotPledged,
                            absl::StrCat(field, ": lot ", lot.id, " is already pledged"));
      }
      return Precondition(why::kLotNotFree,
                          absl::StrCat(field, ": lot ", lot.id, " is encumbered"));
    case Pledgeability::kInTransit:
      return Precondition(why::kLotNotFree,
                          absl::StrCat(field, ": lot ", lot.id, " is in transit"));
    case Pledgeability::kReleased:
      return Precondition(why::kLotNotFree,
                          absl::StrCat(field, ": lot ", lot.id, " left the reserve"));
    case Pledgeability::kNotCommercial:
      return Precondition(why::kLotNotCommercial, absl::StrCat(field, ": lot ", lot.id,
                                                               " is not a commercial-reserve lot"));
    case Pledgeability::kNotBorrowers:
      return Precondition(why::kLotNotBorrowers,
                          absl::StrCat(field, ": lot ", lot.id, " is not the borrower's"));
    case Pledgeability::kDepotNotApproved:
      return Precondition(why::kDepotNotApproved,
                          absl::StrCat(field, ": lot ", lot.id, " lies in depot ", lot.depot,
                                       ", which is not approved for pledges"));
    case Pledgeability::kUnknownLot:
      return NotFound(why::kUnknownLot, absl::StrCat(field, ": no lot ", lot.id));
    case Pledgeability::kFree:
    case Pledgeability::kUnspecified:
      break;
  }
  return absl::OkStatus();
}

absl::Status CheckLotIds(const std::vector<std::string>& ids, size_t max) {
  if (ids.empty()) return InvalidField("lot_ids", "at least one lot");
  if (ids.size() > max) return InvalidField("lot_ids", absl::StrCat("at most ", max, " lots"));
  std::set<absl::string_view> seen;
  for (size_t i = 0; i < ids.size(); ++i) {
    std::string field = absl::StrCat("lot_ids[", i, "]");
    if (absl::Status s = CheckLotId(ids[i], field); !s.ok()) return s;
    if (!seen.insert(ids[i]).second) return InvalidField(field, "appears twice");
  }
  return absl::OkStatus();
}

absl::Status CheckPledgeRequest(const Context& ctx, absl::string_view bank,
                                const PledgeRequest& r) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  if (absl::Status s = CheckId(bank, "bank"); !s.ok()) return s;
  if (absl::Status s = CheckId(r.borrower, "borrower_enterprise_id"); !s.ok()) return s;
  if (absl::Status s = CheckLotIds(r.lot_ids, kMaxLotsPerPledge); !s.ok()) return s;
  if (r.principal_minor <= 0) return InvalidField("principal_minor", "must be positive");
  if (absl::Status s = CheckCurrency(r.currency, "currency"); !s.ok()) return s;
  if (r.interest_rate_bp < 0 || r.interest_rate_bp > kBasisPoints) {
    return InvalidField("interest_rate_bp", "between 0 and 10000");
  }
  if (absl::Status s = CheckDate(r.maturity_date, "maturity_date"); !s.ok()) return s;
  if (r.maturity_date <= ctx.business_date) {
    return InvalidField("maturity_date", "must be after the business date");
  }
  if (r.max_ltv_bp <= 0 || r.max_ltv_bp > kBasisPoints) {
    return InvalidField("max_ltv_bp", "between 1 and 10000");
  }
  if (r.margin_call_ltv_bp <= r.max_ltv_bp || r.margin_call_ltv_bp > kBasisPoints) {
    return InvalidField("margin_call_ltv_bp", "above max_ltv_bp and at most 10000");
  }
  return CheckText(r.loan_reference, "loan_reference", false);
}

std::string PledgeRequestText(absl::string_view bank, const Context& ctx, const PledgeRequest& r) {
  return absl::StrCat("pledge|", bank, "|", domain::FormatDate(ctx.business_date), "|", r.borrower,
                      "|", absl::StrJoin(r.lot_ids, ","), "|", r.principal_minor, "|", r.currency,
                      "|", r.interest_rate_bp, "|", domain::FormatDate(r.maturity_date), "|",
                      r.max_ltv_bp, "|", r.margin_call_ltv_bp, "|", r.loan_reference);
}

// The agreement of `index` covering `date` whose warehouses hold every lot ("" if none).
std::string CoveringAgreement(const AgreementIndex& index, absl::CivilDay date,
                              const std::vector<Lot>& lots) {
  for (const AgreementTerm& t : index.terms) {
    if (date < t.start_date || date > t.end_date) continue;
    bool all = std::all_of(lots.begin(), lots.end(), [&](const Lot& l) {
      return std::find(t.depot_ids.begin(), t.depot_ids.end(), l.depot) != t.depot_ids.end();
    });
    if (all) return t.id;
  }
  return "";
}

struct LoadedPledge {
  Pledge pledge;
  uint64_t version = 0;
};

// The pledge `id` as `scope` may see it: another bank's is NOT_FOUND without a read.
absl::StatusOr<LoadedPledge> LoadPledge(ledger::Ledger& ledger, const Scope& scope,
                                        absl::string_view id) {
  absl::StatusOr<std::string> bank = BankOfPledgeId(id, "pledge_id");
  if (!bank.ok()) return bank.status();
  auto missing = [&] { return NotFound(why::kUnknownPledge, absl::StrCat("no pledge ", id)); };
  if (!scope.bank.empty() && *bank != scope.bank) return missing();
  absl::StatusOr<ledger::RecordSet> set = ReadRecords(ledger, {keys::Pledge(id)});
  if (!set.ok()) return set.status();
  const ledger::Record& r = set->records.front();
  if (r.version == 0) return missing();
  absl::StatusOr<Pledge> p = DecodePledge(r.value);
  if (!p.ok()) return p.status();
  if (!scope.enterprise.empty() && p->borrower != scope.enterprise) return missing();
  return LoadedPledge{*std::move(p), r.version};
}

// The bank's pledge `id`, which must be active (FAILED_PRECONDITION PLEDGE_NOT_ACTIVE).
absl::StatusOr<LoadedPledge> LoadActivePledge(ledger::Ledger& ledger, absl::string_view bank,
                                              absl::string_view id) {
  absl::StatusOr<LoadedPledge> loaded = LoadPledge(ledger, Scope{std::string(bank), ""}, id);
  if (!loaded.ok()) return loaded.status();
  const Pledge& p = loaded->pledge;
  if (p.status != PledgeStatus::kActive) {
    return Precondition(why::kPledgeNotActive,
                        absl::StrCat("pledge ", p.id, " is ", PledgeStatusName(p.status)));
  }
  return loaded;
}

// Ends `p` on `date` with `status` and the event that says so, writes it over `version`, and
// makes it the plan's answer.
void EndPledge(Pledge& p, uint64_t version, PledgeStatus status, PledgeEventKind event,
               std::string event_ref, absl::CivilDay date, domain::Plan& plan) {
  p.status = status;
  p.end_date = date;
  p.event = event;
  p.event_ref = std::move(event_ref);
  const std::string record = EncodePledge(p);
  plan.tx.writes.push_back(ledger::RecordWrite{keys::Pledge(p.id), version, record, false});
  plan.response = record;
}

struct LoadedLot {
  Lot lot;
  uint64_t version = 0;
};

// The pledge's lots, each required to carry the pledge's encumbrance (an invariant: a
// violation is INTERNAL, never a client's fault).
absl::StatusOr<std::vector<LoadedLot>> LoadPledgedLots(ledger::Ledger& ledger, const Pledge& p) {
  std::vector<std::string> lot_keys;
  for (const std::string& id : p.lot_ids) lot_keys.push_back(keys::Lot(id));
  absl::StatusOr<ledger::RecordSet> set = ReadRecords(ledger, lot_keys);
  if (!set.ok()) return set.status();
  std::vector<LoadedLot> out;
  for (const ledger::Record& r : set->records) {
    if (r.version == 0) return absl::InternalError(absl::StrCat(r.key, " of ", p.id, " is gone"));
    absl::StatusOr<Lot> lot = inventory::DecodeLot(r.value);
    if (!lot.ok()) return lot.status();
    if (!HasEncumbrance(*lot, kPledgeEncumbrance, p.id)) {
      return absl::InternalError(absl::StrCat("lot ", lot->id, " does not carry pledge ", p.id));
    }
    out.push_back({*std::move(lot), r.version});
  }
  return out;
}

// Receipts of a bank's requests: "financing-request/<bank>/<request id>".
std::string FinancingReceiptPrefix(absl::string_view bank) {
  return absl::StrCat("financing-request/", bank, "/");
}

absl::StatusOr<Mutation<Pledge>> ToPledgeMutation(absl::StatusOr<Mutation<std::string>> m) {
  if (!m.ok()) return m.status();
  absl::StatusOr<Pledge> p = DecodePledge(m->value);
  if (!p.ok()) return p.status();
  return Mutation<Pledge>{*std::move(p), m->seq, m->replayed};
}

// A price mark written by `entry` (inventory's "price/<M>/<date>/<CUR>" records).
struct EntryMark {
  std::string metal;
  std::string currency;
  absl::CivilDay date;
  int64_t price_minor_per_t = 0;
};

absl::StatusOr<std::vector<EntryMark>> LatestMarksOf(const ledger::JournalEntry& entry) {
  std::map<std::pair<std::string, std::string>, EntryMark> latest;
  for (const ledger::RecordWrite& w : entry.tx.writes) {
    if (w.erase || !absl::StartsWith(w.key, kPriceMarkPrefix)) continue;
    absl::StatusOr<inventory::PriceMark> m = inventory::DecodePriceMark(w.value);
    if (!m.ok()) return m.status();
    auto key = std::make_pair(m->metal, m->currency);
    auto it = latest.find(key);
    if (it == latest.end() || m->date >= it->second.date) {
      latest[key] = EntryMark{m->metal, m->currency, m->date, m->price_minor_per_t};
    }
  }
  std::vector<EntryMark> out;
  for (auto& [k, m] : latest) out.push_back(std::move(m));
  return out;
}

}  // namespace

Pledgeability ClassifyLot(const Lot& lot, absl::string_view bank, absl::string_view borrower,
                          bool depot_approved) {
  if (lot.status == LotStatus::kReleased) return Pledgeability::kReleased;
  if (lot.status == LotStatus::kInTransit) return Pledgeability::kInTransit;
  if (lot.status == LotStatus::kPledged || lot.status == LotStatus::kEarmarked ||
      !lot.encumbrances.empty()) {
    const std::string holder = BankOwner(bank);
    for (const Encumbrance& e : lot.encumbrances) {
      if (e.kind == kPledgeEncumbrance && e.holder == holder) return Pledgeability::kPledgedToYou;
    }
    return Pledgeability::kEncumbered;
  }
  if (lot.reserve_class != inventory::ReserveClass::kCommercial) {
    return Pledgeability::kNotCommercial;
  }
  if (!borrower.empty() && lot.owner != borrower) return Pledgeability::kNotBorrowers;
  if (!depot_approved) return Pledgeability::kDepotNotApproved;
  return Pledgeability::kFree;
}

// ---- Verify ----

absl::StatusOr<Verification> Financing::VerifyLots(absl::string_view bank,
                                                   const std::vector<std::string>& lot_ids,
                                                   absl::string_view borrower) {
  if (absl::Status s = CheckId(bank, "bank"); !s.ok()) return s;
  if (absl::Status s = CheckLotIds(lot_ids, kMaxLotsPerVerify); !s.ok()) return s;
  if (!borrower.empty()) {
    if (absl::Status s = CheckId(borrower, "borrower_enterprise_id"); !s.ok()) return s;
  }
  std::vector<std::string> lot_keys;
  lot_keys.reserve(lot_ids.size());
  for (const std::string& id : lot_ids) lot_keys.push_back(keys::Lot(id));
  absl::StatusOr<ledger::RecordSet> lots = ReadRecords(ledger_, lot_keys);
  if (!lots.ok()) return lots.status();
  std::vector<std::optional<Lot>> decoded(lot_ids.size());
  std::vector<std::string> depot_keys;
  std::map<std::string, size_t> depot_index;
  for (size_t i = 0; i < lot_ids.size(); ++i) {
    if (lots->records[i].version == 0) continue;
    absl::StatusOr<Lot> lot = inventory::DecodeLot(lots->records[i].value);
    if (!lot.ok()) return lot.status();
    if (depot_index.emplace(lot->depot, depot_keys.size()).second) {
      depot_keys.push_back(keys::Depot(lot->depot));
    }
    decoded[i] = *std::move(lot);
  }
  absl::StatusOr<ledger::RecordSet> depots =
      ReadRecords(ledger_, depot_keys, {.at_seq = lots->as_of_seq});
  if (!depots.ok()) return depots.status();
  std::vector<bool> approved(depot_keys.size(), false);
  for (size_t d = 0; d < depot_keys.size(); ++d) {
    if (depots->records[d].version == 0) continue;
    absl::StatusOr<inventory::Depot> depot = inventory::DecodeDepot(depots->records[d].value);
    if (!depot.ok()) return depot.status();
    approved[d] = depot->approved_for_pledge;
  }
  Verification out;
  out.as_of_seq = lots->as_of_seq;
  for (size_t i = 0; i < lot_ids.size(); ++i) {
    LotVerification v;
    v.lot_id = lot_ids[i];
    if (!decoded[i].has_value()) {
      v.pledgeability = Pledgeability::kUnknownLot;
      out.lots.push_back(std::move(v));
      continue;
    }
    const Lot& lot = *decoded[i];
    v.metal = lot.metal;
    v.grade = lot.grade;
    v.net_mass_g = lot.net_mass_g;
    v.depot = lot.depot;
    v.depot_approved_for_pledge = approved[depot_index[lot.depot]];
    v.pledgeability = ClassifyLot(lot, bank, borrower, v.depot_approved_for_pledge);
    out.lots.push_back(std::move(v));
  }
  return out;
}

// ---- Pledges ----

namespace {

// What CreatePledge decides from: the lots as read, and what their depots, the marked price
// and the borrower's agreements say, all at one sequence number.
struct PledgeInputs {
  std::vector<LoadedLot> lots;
  int64_t mass_g = 0;
  MarkedPrice price;
  std::string price_key;
  uint64_t price_version = 0;
  std::string agreement_id;
};

// Read 2 (at `at_seq`): depots' approval, the marked price, the borrower's agreement index.
absl::Status ReadMarket(ledger::Ledger& ledger, const PledgeRequest& request, absl::CivilDay date,
                        ledger::Seq at_seq, PledgeInputs& in) {
  const std::string metal = in.lots.front().lot.metal;
  in.price_key = keys::MarkedPrice(metal, request.currency);
  std::vector<std::string> read = {in.price_key, keys::AgreementIndex(request.borrower, metal)};
  std::map<std::string, size_t> depot_slot;
  for (const LoadedLot& l : in.lots) {
    if (depot_slot.emplace(l.lot.depot, read.size()).second)
      read.push_back(keys::Depot(l.lot.depot));
  }
  absl::StatusOr<ledger::RecordSet> set = ReadRecords(ledger, read, {.at_seq = at_seq});
  if (!set.ok()) return set.status();
  for (size_t i = 0; i < in.lots.size(); ++i) {
    const ledger::Record& d = set->records[depot_slot[in.lots[i].lot.depot]];
    bool approved = false;
    if (d.version != 0) {
      absl::StatusOr<inventory::Depot> depot = inventory::DecodeDepot(d.value);
      if (!depot.ok()) return depot.status();
      approved = depot->approved_for_pledge;
    }
    if (!approved) {
      return PledgeRefusal(Pledgeability::kDepotNotApproved, in.lots[i].lot,
                           absl::StrCat("lot_ids[", i, "]"));
    }
  }
  const ledger::Record& price = set->records[0];
  if (price.version == 0) {
    return Precondition(why::kNoPriceMark,
                        absl::StrCat("no ", request.currency, " price mark for ", metal, " yet"));
  }
  absl::StatusOr<MarkedPrice> marked = DecodeMarkedPrice(price.value);
  if (!marked.ok()) return marked.status();
  in.price = *std::move(marked);
  in.price_version = price.version;
  if (const ledger::Record& index = set->records[1]; index.version != 0) {
    absl::StatusOr<AgreementIndex> terms = DecodeAgreementIndex(index.value);
    if (!terms.ok()) return terms.status();
    std::vector<Lot> plain;
    for (const LoadedLot& l : in.lots) plain.push_back(l.lot);
    in.agreement_id = CoveringAgreement(*terms, date, plain);
  }
  return absl::OkStatus();
}

// The lots of read 1 (records 2..), each checked for everything but its depot's approval.
absl::StatusOr<std::vector<LoadedLot>> CheckedLots(const ledger::RecordSet& read,
                                                   absl::string_view bank,
                                                   const PledgeRequest& request) {
  std::vector<LoadedLot> lots;
  lots.reserve(request.lot_ids.size());
  for (size_t i = 0; i < request.lot_ids.size(); ++i) {
    const ledger::Record& r = read.records[2 + i];
    const std::string field = absl::StrCat("lot_ids[", i, "]");
    if (r.version == 0) {
      return NotFound(why::kUnknownLot, absl::StrCat(field, ": no lot ", request.lot_ids[i]));
    }
    absl::StatusOr<Lot> lot = inventory::DecodeLot(r.value);
    if (!lot.ok()) return lot.status();
    if (!lots.empty() && lot->metal != lots.front().lot.metal) {
      return Precondition(why::kMixedMetals,
                          absl::StrCat(field, ": lot ", lot->id, " is ", lot->metal,
                                       "; a pledge covers lots of one metal"));
    }
    Pledgeability p = ClassifyLot(*lot, bank, request.borrower, /*depot_approved=*/true);
    if (p != Pledgeability::kFree) return PledgeRefusal(p, *lot, field);
    lots.push_back({*std::move(lot), r.version});
  }
  return lots;
}

// A retry of a committed pledge: the same content returns it with its creation seq.
absl::StatusOr<Mutation<PledgeResult>> Replay(ledger::Ledger& ledger, const ledger::Record& r,
                                              const std::string& fp, const Context& ctx) {
  absl::StatusOr<Pledge> p = DecodePledge(r.value);
  if (!p.ok()) return p.status();
  if (p->request_fp != fp) {
    return Rejection(
        absl::StatusCode::kAlreadyExists, reason::kRequestIdReused,
        absl::StrCat("request id ", ctx.request_id, " was used for a different request"));
  }
  absl::StatusOr<std::vector<ledger::Seq>> versions = ledger.RecordHistory(r.key, {});
  if (!versions.ok()) return versions.status();
  const ledger::Seq created = versions->empty() ? r.version : versions->front();
  const int64_t ltv = p->marked_ltv_bp;
  return Mutation<PledgeResult>{PledgeResult{*std::move(p), ltv}, created, true};
}

Pledge NewPledge(const std::string& id, absl::string_view bank, const Context& ctx,
                 const PledgeRequest& request, const PledgeInputs& in, int64_t ltv,
                 const std::string& fp) {
  Pledge p;
  p.id = id;
  p.bank = std::string(bank);
  p.borrower = request.borrower;
  p.agreement_id = in.agreement_id;
  p.lot_ids = request.lot_ids;
  p.metal = in.lots.front().lot.metal;
  p.currency = request.currency;
  p.collateral_mass_g = in.mass_g;
  p.principal_minor = request.principal_minor;
  p.interest_rate_bp = request.interest_rate_bp;
  p.start_date = ctx.business_date;
  p.maturity_date = request.maturity_date;
  p.max_ltv_bp = request.max_ltv_bp;
  p.margin_call_ltv_bp = request.margin_call_ltv_bp;
  p.loan_reference = request.loan_reference;
  p.status = PledgeStatus::kActive;
  p.marked_ltv_bp = ltv;
  p.principal_history = {PrincipalStep{ctx.business_date, request.principal_minor}};
  p.request_fp = fp;
  p.event = PledgeEventKind::kCreated;
  return p;
}

// The pledge record, every lot by CAS (pledged, the lien), and a check that the price the LTV
// was judged at is still the marked one (README "Mark to market").
ledger::Transaction PledgeTransaction(const Pledge& pledge, const Context& ctx, PledgeInputs& in) {
  ledger::Transaction tx;
  tx.request_id = absl::StrCat("financing-pledge/", pledge.id);
  tx.kind = "financing.create_pledge";
  tx.principal = ctx.principal;
  tx.business_date = ctx.business_date;
  tx.writes.reserve(in.lots.size() + 1);
  tx.writes.push_back(ledger::RecordWrite{keys::Pledge(pledge.id), 0, EncodePledge(pledge), false});
  const Encumbrance lien{std::string(kPledgeEncumbrance), BankOwner(pledge.bank), pledge.id};
  for (LoadedLot& l : in.lots) {
    l.lot.status = LotStatus::kPledged;
    l.lot.encumbrances.push_back(lien);
    tx.writes.push_back(
        ledger::RecordWrite{keys::Lot(l.lot.id), l.version, inventory::EncodeLot(l.lot), false});
  }
  tx.checks.push_back(ledger::RecordCheck{in.price_key, in.price_version});
  return tx;
}

// One attempt's reads and decision: an answer that ends the request (a replay of the committed
// pledge, a refusal), or the pledge and the transaction that commits it.
struct PledgeStep {
  std::optional<absl::StatusOr<Mutation<PledgeResult>>> answer;
  PledgeResult result;
  ledger::Transaction tx;
};

PledgeStep DecidePledge(ledger::Ledger& ledger, const Context& ctx, absl::string_view bank,
                        const PledgeRequest& request, const std::string& pledge_id,
                        const std::string& fp) {
  auto answer = [](absl::StatusOr<Mutation<PledgeResult>> a) {
    PledgeStep step;
    step.answer = std::move(a);
    return step;
  };
  // Read 1: the pledge (a retry finds it), the borrower, the lots.
  std::vector<std::string> first = {keys::Pledge(pledge_id), keys::Enterprise(request.borrower)};
  for (const std::string& id : request.lot_ids) first.push_back(keys::Lot(id));
  absl::StatusOr<ledger::RecordSet> read = ReadRecords(ledger, first);
  if (!read.ok()) return answer(read.status());
  if (read->records[0].version != 0) return answer(Replay(ledger, read->records[0], fp, ctx));
  if (read->records[1].version == 0) {
    return answer(NotFound(why::kUnknownEnterprise,
                           absl::StrCat("no enrolled enterprise ", request.borrower)));
  }
  PledgeInputs in;
  absl::StatusOr<std::vector<LoadedLot>> lots = CheckedLots(*read, bank, request);
  if (!lots.ok()) return answer(lots.status());
  in.lots = *std::move(lots);
  if (absl::Status s = ReadMarket(ledger, request, ctx.business_date, read->as_of_seq, in);
      !s.ok()) {
    return answer(s);
  }
  for (const LoadedLot& l : in.lots) {
    std::optional<int64_t> sum = CheckedAdd(in.mass_g, l.lot.net_mass_g);
    if (!sum.has_value()) return answer(InvalidField("lot_ids", "total mass overflows"));
    in.mass_g = *sum;
  }
  const int64_t ltv = LtvBp(request.principal_minor, in.mass_g, in.price.price_minor_per_t);
  if (ltv > request.max_ltv_bp) {
    return answer(Precondition(
        why::kLtvTooHigh,
        absl::StrCat("LTV would be ", ltv, " bp at ", in.price.price_minor_per_t, " ",
                     request.currency, "/t (", domain::FormatDate(in.price.date),
                     "); max_ltv_bp is ", request.max_ltv_bp)));
  }
  PledgeStep step;
  step.result = PledgeResult{NewPledge(pledge_id, bank, ctx, request, in, ltv, fp), ltv};
  step.tx = PledgeTransaction(step.result.pledge, ctx, in);
  return step;
}

}  // namespace

// A pledge request's attempts: each decides from fresh reads and commits; a conflict (another
// bank's pledge of a lot, a moved price mark) sends the next attempt to read again.
struct Financing::PledgeAttempts {
  Context ctx;
  std::string bank;
  PledgeRequest request;
  std::string pledge_id;
  std::string fp;
  PledgeDone done;
  int attempt = 0;
  absl::Status last = absl::AbortedError("no attempt made");
};

absl::StatusOr<Mutation<PledgeResult>> Financing::CreatePledge(const Context& ctx,
                                                               absl::string_view bank,
                                                               const PledgeRequest& request) {
  return domain::Await<absl::StatusOr<Mutation<PledgeResult>>>(
      [&](PledgeDone done) { CreatePledgeAsync(ctx, bank, request, std::move(done)); });
}

void Financing::CreatePledgeAsync(const Context& ctx, absl::string_view bank,
                                  PledgeRequest request, PledgeDone done) {
  if (absl::Status s = CheckPledgeRequest(ctx, bank, request); !s.ok()) return done(s);
  auto attempts = std::make_shared<PledgeAttempts>();
  attempts->pledge_id = PledgeIdFor(bank, ctx.request_id);
  attempts->fp = Fingerprint(PledgeRequestText(bank, ctx, request));
  attempts->ctx = ctx;
  attempts->bank = std::string(bank);
  attempts->request = std::move(request);
  attempts->done = std::move(done);
  NextPledgeAttempt(std::move(attempts));
}

void Financing::NextPledgeAttempt(std::shared_ptr<PledgeAttempts> a) {
  if (a->attempt == domain::kMaxCommitAttempts) return a->done(a->last);
  ++a->attempt;
  PledgeStep step = DecidePledge(ledger_, a->ctx, a->bank, a->request, a->pledge_id, a->fp);
  if (step.answer.has_value()) return a->done(*std::move(step.answer));
  ledger_.CommitAsync(std::move(step.tx), [this, a, result = std::move(step.result)](
                                              absl::StatusOr<ledger::Receipt> committed) mutable {
    if (committed.ok()) {
      return a->done(
          Mutation<PledgeResult>{std::move(result), committed->seq, committed->replayed});
    }
    if (!internal::RetryableOrRaced(committed.status())) return a->done(committed.status());
    a->last = committed.status();
    NextPledgeAttempt(std::move(a));
  });
}

absl::StatusOr<Pledge> Financing::GetPledge(const Scope& scope, absl::string_view pledge_id) {
  absl::StatusOr<LoadedPledge> p = LoadPledge(ledger_, scope, pledge_id);
  if (!p.ok()) return p.status();
  return std::move(p->pledge);
}

absl::StatusOr<PledgePage> Financing::ListPledges(const Scope& scope, PledgeStatus status,
                                                  size_t page_size, const std::string& page_token) {
  PledgePage out;
  auto take = [&](const ledger::Record& r) -> absl::StatusOr<bool> {
    absl::StatusOr<Pledge> p = DecodePledge(r.value);
    if (!p.ok()) return p.status();
    if ((status != PledgeStatus::kUnspecified && p->status != status) ||
        (!scope.enterprise.empty() && p->borrower != scope.enterprise)) {
      return false;
    }
    out.pledges.push_back(*std::move(p));
    return true;
  };
  absl::StatusOr<std::string> next =
      domain::FilteredPage(ledger_, keys::PledgePrefix(scope.bank), page_size, page_token, take);
  if (!next.ok()) return next.status();
  out.next_page_token = *std::move(next);
  return out;
}

absl::StatusOr<Mutation<Pledge>> Financing::RepayPledge(const Context& ctx, absl::string_view bank,
                                                        absl::string_view pledge_id) {
  if (absl::Status s = CheckId(bank, "bank"); !s.ok()) return s;
  if (absl::Status s = BankOfPledgeId(pledge_id, "pledge_id").status(); !s.ok()) return s;
  const std::string request = absl::StrCat("repay|", pledge_id);
  auto planner = [&]() -> absl::StatusOr<domain::Plan> {
    absl::StatusOr<LoadedPledge> loaded = LoadActivePledge(ledger_, bank, pledge_id);
    if (!loaded.ok()) return loaded.status();
    Pledge& p = loaded->pledge;
    absl::StatusOr<std::vector<LoadedLot>> lots = LoadPledgedLots(ledger_, p);
    if (!lots.ok()) return lots.status();
    domain::Plan plan;
    for (LoadedLot& l : *lots) {
      RemoveEncumbrance(l.lot, kPledgeEncumbrance, p.id);
      if (l.lot.status == LotStatus::kPledged && l.lot.encumbrances.empty()) {
        l.lot.status = LotStatus::kInStock;
      }
      plan.tx.writes.push_back(
          ledger::RecordWrite{keys::Lot(l.lot.id), l.version, inventory::EncodeLot(l.lot), false});
    }
    p.principal_history.push_back(PrincipalStep{ctx.business_date, 0});
    EndPledge(p, loaded->version, PledgeStatus::kReleased, PledgeEventKind::kReleased, "",
              ctx.business_date, plan);
    return plan;
  };
  return ToPledgeMutation(internal::Mutate(ledger_, ctx, FinancingReceiptPrefix(bank),
                                           "financing.repay_pledge", request, planner));
}

absl::StatusOr<Mutation<Pledge>> Financing::EnforcePledge(const Context& ctx,
                                                          absl::string_view bank,
                                                          absl::string_view pledge_id,
                                                          absl::string_view reason) {
  if (absl::Status s = CheckId(bank, "bank"); !s.ok()) return s;
  if (absl::Status s = BankOfPledgeId(pledge_id, "pledge_id").status(); !s.ok()) return s;
  if (absl::Status s = CheckText(reason, "reason", true); !s.ok()) return s;
  const std::string request = absl::StrCat("enforce|", pledge_id, "|", reason);
  auto planner = [&]() -> absl::StatusOr<domain::Plan> {
    absl::StatusOr<LoadedPledge> loaded = LoadActivePledge(ledger_, bank, pledge_id);
    if (!loaded.ok()) return loaded.status();
    Pledge& p = loaded->pledge;
    if (ctx.business_date <= p.maturity_date && !p.in_margin_call) {
      return Precondition(why::kNotInDefault, absl::StrCat("pledge ", p.id, " matures on ",
                                                           domain::FormatDate(p.maturity_date),
                                                           " and is not in margin call"));
    }
    // The state's call-up right survives the transfer while the agreement runs.
    bool right = false;
    if (!p.agreement_id.empty()) {
      absl::StatusOr<ledger::RecordSet> a = ReadRecords(ledger_, {keys::Agreement(p.agreement_id)});
      if (!a.ok()) return a.status();
      if (a->records[0].version != 0) {
        absl::StatusOr<Agreement> agreement = DecodeAgreement(a->records[0].value);
        if (!agreement.ok()) return agreement.status();
        right = ctx.business_date <= agreement->end_date;
      }
    }
    absl::StatusOr<std::vector<LoadedLot>> lots = LoadPledgedLots(ledger_, p);
    if (!lots.ok()) return lots.status();
    domain::Plan plan;
    std::vector<inventory::OwnerChange> changes;
    for (LoadedLot& l : *lots) {
      changes.push_back({l.lot, BankOwner(bank), l.lot.reserve_class});
      RemoveEncumbrance(l.lot, kPledgeEncumbrance, p.id);
      l.lot.owner = BankOwner(bank);
      if (right) {
        l.lot.encumbrances.push_back(
            Encumbrance{std::string(kCallUpRightEncumbrance), "state", p.agreement_id});
      }
      if (l.lot.status == LotStatus::kPledged) l.lot.status = LotStatus::kInStock;
      plan.tx.writes.push_back(
          ledger::RecordWrite{keys::Lot(l.lot.id), l.version, inventory::EncodeLot(l.lot), false});
    }
    if (absl::Status s = inventory::AddOwnerChangePostings(changes, plan.tx); !s.ok()) return s;
    plan.tx.memo = std::string(reason);
    EndPledge(p, loaded->version, PledgeStatus::kEnforced, PledgeEventKind::kEnforced,
              std::string(reason), ctx.business_date, plan);
    return plan;
  };
  return ToPledgeMutation(internal::Mutate(ledger_, ctx, FinancingReceiptPrefix(bank),
                                           "financing.enforce_pledge", request, planner));
}

absl::StatusOr<Mutation<Pledge>> Financing::ConsentToCallUp(const Context& ctx,
                                                            absl::string_view bank,
                                                            absl::string_view pledge_id,
                                                            absl::string_view call_up_id) {
  if (absl::Status s = CheckId(bank, "bank"); !s.ok()) return s;
  if (absl::Status s = BankOfPledgeId(pledge_id, "pledge_id").status(); !s.ok()) return s;
  if (absl::Status s = CheckId(call_up_id, "call_up_id"); !s.ok()) return s;
  const std::string request = absl::StrCat("consent|", pledge_id, "|", call_up_id);
  auto planner = [&]() -> absl::StatusOr<domain::Plan> {
    absl::StatusOr<LoadedPledge> loaded = LoadActivePledge(ledger_, bank, pledge_id);
    if (!loaded.ok()) return loaded.status();
    Pledge& p = loaded->pledge;
    if (std::find(p.call_up_ids.begin(), p.call_up_ids.end(), call_up_id) == p.call_up_ids.end()) {
      return Precondition(why::kNotAffected,
                          absl::StrCat("call-up ", call_up_id, " does not concern pledge ", p.id));
    }
    domain::Plan plan;
    if (std::find(p.consented_call_up_ids.begin(), p.consented_call_up_ids.end(), call_up_id) ==
        p.consented_call_up_ids.end()) {
      p.consented_call_up_ids.push_back(std::string(call_up_id));
      p.event = PledgeEventKind::kNone;
      p.event_ref.clear();
      plan.tx.writes.push_back(
          ledger::RecordWrite{keys::Pledge(p.id), loaded->version, EncodePledge(p), false});
    }
    plan.response = EncodePledge(p);
    return plan;
  };
  return ToPledgeMutation(internal::Mutate(ledger_, ctx, FinancingReceiptPrefix(bank),
                                           "financing.consent_call_up", request, planner));
}

// ---- Exposure and totals ----

absl::StatusOr<Exposure> Financing::GetExposure(absl::string_view bank) {
  if (absl::Status s = CheckId(bank, "bank"); !s.ok()) return s;
  absl::StatusOr<ledger::RecordPage> all =
      internal::ScanAll(ledger_, keys::PledgePrefix(bank), kMaxRecordsScanned);
  if (!all.ok()) return all.status();
  Exposure out;
  out.as_of_seq = all->as_of_seq;
  std::vector<Pledge> active;
  std::map<std::pair<std::string, std::string>, size_t> price_slot;
  std::vector<std::string> price_keys;
  for (const ledger::Record& r : all->records) {
    absl::StatusOr<Pledge> p = DecodePledge(r.value);
    if (!p.ok()) return p.status();
    if (p->status != PledgeStatus::kActive) continue;
    if (price_slot.emplace(std::make_pair(p->metal, p->currency), price_keys.size()).second) {
      price_keys.push_back(keys::MarkedPrice(p->metal, p->currency));
    }
    active.push_back(*std::move(p));
  }
  absl::StatusOr<ledger::RecordSet> prices =
      ReadRecords(ledger_, price_keys, {.at_seq = all->as_of_seq});
  if (!prices.ok()) return prices.status();
  for (Pledge& p : active) {
    ExposureRow row;
    const ledger::Record& pr = prices->records[price_slot[{p.metal, p.currency}]];
    auto& total = out.totals[p.currency];
    std::optional<int64_t> principal = CheckedAdd(total.first, p.principal_minor);
    if (!principal.has_value()) return absl::OutOfRangeError("exposure overflows 64 bits");
    total.first = *principal;
    if (pr.version != 0) {
      absl::StatusOr<MarkedPrice> price = DecodeMarkedPrice(pr.value);
      if (!price.ok()) return price.status();
      row.priced = true;
      row.price = *price;
      std::optional<int64_t> value = ValueOfMass(p.collateral_mass_g, price->price_minor_per_t);
      std::optional<int64_t> sum =
          value.has_value() ? CheckedAdd(total.second, *value) : std::nullopt;
      if (!sum.has_value()) return absl::OutOfRangeError("exposure overflows 64 bits");
      row.collateral_value_minor = *value;
      row.ltv_bp = LtvBp(p.principal_minor, p.collateral_mass_g, price->price_minor_per_t);
      total.second = *sum;
    }
    row.pledge = std::move(p);
    out.rows.push_back(std::move(row));
  }
  return out;
}

absl::StatusOr<Totals> Financing::GetTotals() {
  absl::StatusOr<ledger::RecordPage> all =
      internal::ScanAll(ledger_, keys::PledgePrefix(""), kMaxRecordsScanned);
  if (!all.ok()) return all.status();
  std::map<std::pair<std::string, std::string>, TotalsRow> rows;
  for (const ledger::Record& r : all->records) {
    absl::StatusOr<Pledge> p = DecodePledge(r.value);
    if (!p.ok()) return p.status();
    TotalsRow& row = rows[{p->metal, p->currency}];
    row.metal = p->metal;
    row.currency = p->currency;
    if (p->status == PledgeStatus::kEnforced) ++row.enforced_pledges;
    if (p->status != PledgeStatus::kActive) continue;
    ++row.active_pledges;
    std::optional<int64_t> principal = CheckedAdd(row.principal_minor, p->principal_minor);
    std::optional<int64_t> mass = CheckedAdd(row.collateral_mass_g, p->collateral_mass_g);
    if (!principal.has_value() || !mass.has_value()) {
      return absl::OutOfRangeError("financing totals overflow 64 bits");
    }
    row.principal_minor = *principal;
    row.collateral_mass_g = *mass;
    if (p->in_margin_call) ++row.in_margin_call;
  }
  Totals out;
  out.as_of_seq = all->as_of_seq;
  for (auto& [k, row] : rows) out.rows.push_back(std::move(row));
  return out;
}

// ---- Events ----


absl::Status Financing::WatchEvents(absl::string_view bank, EventCursor cursor,
                                    const WatchOptions& options, const EventCallback& on_event,
                                    const ledger::StopPredicate& stop) {
  if (absl::Status s = CheckId(bank, "bank"); !s.ok()) return s;
  absl::StatusOr<ledger::Head> head = ledger_.GetHead();
  if (!head.ok()) return head.status();
  const ledger::Seq head_at_call = head->seq;
  if (cursor.after_seq > head_at_call) {
    return InvalidField("after_seq", absl::StrCat("beyond the journal head (", head_at_call,
                                                  "): a cursor from another store?"));
  }
  ledger::Seq from = std::max<ledger::Seq>(cursor.after_seq, 1);
  const std::string prefix = keys::PledgePrefix(bank);
  size_t sent = 0;
  absl::Status failure = absl::OkStatus();
  // Emits the bank's events of one entry; false: stop (the client's, the limit, a failure).
  auto emit = [&](const ledger::JournalEntry& entry) {
    for (size_t i = 0; i < entry.tx.writes.size(); ++i) {
      const ledger::RecordWrite& w = entry.tx.writes[i];
      if (w.erase || !absl::StartsWith(w.key, prefix)) continue;
      if (entry.seq == cursor.after_seq && i <= cursor.after_index) continue;
      absl::StatusOr<Pledge> p = DecodePledge(w.value);
      if (!p.ok()) {
        failure = p.status();
        return false;
      }
      if (p->event == PledgeEventKind::kNone) continue;
      PledgeEvent e{entry.seq, static_cast<uint32_t>(i), p->event, entry.tx.business_date,
                    *std::move(p)};
      if (!on_event(e)) return false;
      if (options.max_events != 0 && ++sent >= options.max_events) return false;
    }
    return true;
  };
  if (head_at_call >= from && head_at_call - from >= options.walk_limit) {
    // A long catch-up: only the entries that wrote the bank's pledges are read.
    absl::StatusOr<std::vector<ledger::Seq>> seqs =
        internal::EntriesWriting(ledger_, prefix, from, head_at_call);
    if (!seqs.ok()) return seqs.status();
    for (ledger::Seq seq : *seqs) {
      if (stop && stop()) return absl::OkStatus();
      absl::StatusOr<ledger::JournalEntry> entry = internal::ReadEntry(ledger_, seq);
      if (!entry.ok()) return entry.status();
      if (!emit(*entry)) return failure;
    }
    from = head_at_call + 1;
  }
  if (!options.follow && head_at_call < from) return absl::OkStatus();
  absl::Status watched = ledger_.Watch(
      from,
      [&](const ledger::JournalEntry& entry) {
        return emit(entry) && (options.follow || entry.seq < head_at_call);
      },
      stop);
  if (!failure.ok()) return failure;
  return watched;
}

// ---- Mark to market ----

absl::Status Financing::RecountCollateral(const Lot& lot, int64_t difference_g,
                                          absl::string_view count_id, ledger::Transaction& tx) {
  for (const Encumbrance& e : lot.encumbrances) {
    if (e.kind != kPledgeEncumbrance) continue;
    const std::string key = keys::Pledge(e.reference);
    absl::StatusOr<ledger::RecordSet> read = ReadRecords(ledger_, {key});
    if (!read.ok()) return read.status();
    const ledger::Record& r = read->records.front();
    if (r.version == 0) {
      return absl::InternalError(absl::StrCat("lot ", lot.id, " carries pledge ", e.reference,
                                              ", which is not on record"));
    }
    absl::StatusOr<Pledge> p = DecodePledge(r.value);
    if (!p.ok()) return p.status();
    if (p->status != PledgeStatus::kActive) continue;  // ended: its lien no longer counts
    std::optional<int64_t> mass = CheckedAdd(p->collateral_mass_g, difference_g);
    if (!mass.has_value() || *mass < 0) {
      return absl::InternalError(absl::StrCat("pledge ", p->id, " holds ", p->collateral_mass_g,
                                              " g, less than the count takes away"));
    }
    p->collateral_mass_g = *mass;
    p->event = PledgeEventKind::kCollateralCounted;
    p->event_ref = std::string(count_id);
    // Re-marked at the price mark to market last used; the check makes a mark to market that
    // moves the price meanwhile re-run this plan (or see this pledge in its own scan).
    const std::string price_key = keys::MarkedPrice(p->metal, p->currency);
    absl::StatusOr<ledger::RecordSet> price = ReadRecords(ledger_, {price_key});
    if (!price.ok()) return price.status();
    const ledger::Record& pr = price->records.front();
    tx.checks.push_back(ledger::RecordCheck{price_key, pr.version});
    if (pr.version != 0) {
      absl::StatusOr<MarkedPrice> marked = DecodeMarkedPrice(pr.value);
      if (!marked.ok()) return marked.status();
      if (MarkPledge(*p, marked->price_minor_per_t) && p->in_margin_call) {
        p->event = PledgeEventKind::kMarginCall;
      }
    }
    tx.writes.push_back(ledger::RecordWrite{key, r.version, EncodePledge(*p), false});
  }
  return absl::OkStatus();
}

bool Financing::WritesPriceMarks(const ledger::JournalEntry& entry) {
  return std::any_of(entry.tx.writes.begin(), entry.tx.writes.end(),
                     [](const ledger::RecordWrite& w) {
                       return !w.erase && absl::StartsWith(w.key, kPriceMarkPrefix);
                     });
}

namespace {
absl::StatusOr<ledger::Seq> ParseCursor(const ledger::Record& r) {
  if (r.version == 0) return ledger::Seq{0};
  nlohmann::json j = nlohmann::json::parse(r.value, nullptr, false);
  if (j.is_discarded() || !j.contains("seq") || !j["seq"].is_number_unsigned()) {
    return absl::DataLossError("malformed mark-to-market cursor");
  }
  return j["seq"].get<ledger::Seq>();
}
}  // namespace

absl::StatusOr<std::vector<ledger::Seq>> Financing::PriceMarkEntries(ledger::Seq from,
                                                                     ledger::Seq head) {
  return internal::EntriesWriting(ledger_, kPriceMarkPrefix, from, head);
}

absl::StatusOr<ledger::Seq> Financing::MarkToMarketCursor() {
  absl::StatusOr<ledger::RecordSet> r = ReadRecords(ledger_, {keys::MtmCursor()});
  if (!r.ok()) return r.status();
  return ParseCursor(r->records[0]);
}

absl::Status Financing::MarkToMarket(const ledger::JournalEntry& entry) {
  if (!WritesPriceMarks(entry)) return absl::OkStatus();
  absl::StatusOr<std::vector<EntryMark>> marks = LatestMarksOf(entry);
  if (!marks.ok()) return marks.status();
  const ledger::Seq seq = entry.seq;
  absl::Status last = absl::AbortedError("no attempt made");
  for (int attempt = 0; attempt < domain::kMaxCommitAttempts; ++attempt) {
    // Done already? The cursor moves in the same transaction as the last chunk.
    absl::StatusOr<ledger::RecordSet> cursor = ReadRecords(ledger_, {keys::MtmCursor()});
    if (!cursor.ok()) return cursor.status();
    absl::StatusOr<ledger::Seq> done = ParseCursor(cursor->records[0]);
    if (!done.ok()) return done.status();
    if (*done >= seq) return absl::OkStatus();

    // Phase A: the marked prices this entry makes current. A mark older than the marked
    // one (history being back-filled) changes nothing; a later entry that already moved the
    // price leaves this one moot.
    std::vector<std::string> price_keys;
    for (const EntryMark& m : *marks) price_keys.push_back(keys::MarkedPrice(m.metal, m.currency));
    absl::StatusOr<ledger::RecordSet> current = ReadRecords(ledger_, price_keys);
    if (!current.ok()) return current.status();
    std::vector<MarkedPrice> effective;
    ledger::Transaction update;
    for (size_t i = 0; i < marks->size(); ++i) {
      const EntryMark& m = (*marks)[i];
      const ledger::Record& r = current->records[i];
      MarkedPrice next{m.metal, m.currency, m.date, m.price_minor_per_t, seq};
      if (r.version != 0) {
        absl::StatusOr<MarkedPrice> have = DecodeMarkedPrice(r.value);
        if (!have.ok()) return have.status();
        if (have->source_seq == seq) {
          effective.push_back(*have);  // phase A of this entry committed before a restart
          continue;
        }
        if (have->source_seq > seq || have->date > m.date) continue;
      }
      effective.push_back(next);
      update.writes.push_back(
          ledger::RecordWrite{price_keys[i], r.version, EncodeMarkedPrice(next), false});
    }
    if (!update.writes.empty()) {
      update.request_id = absl::StrCat("financing/price/", seq);
      update.kind = "financing.price_update";
      update.principal = std::string(kSystemPrincipal);
      update.business_date = entry.tx.business_date;
      absl::StatusOr<ledger::Receipt> r = ledger_.Commit(update);
      if (!r.ok()) {
        if (!internal::RetryableOrRaced(r.status())) return r.status();
        last = r.status();
        continue;
      }
    }
    if (effective.empty()) return absl::OkStatus();  // nothing to mark; no cursor needed

    // Phase B: every active pledge on an effective (metal, currency), read after phase A
    // committed. A pledge committed after phase A checked the new price record, so it was
    // judged at the new price; one committed before is in this scan.
    absl::StatusOr<ledger::RecordPage> pledges =
        internal::ScanAll(ledger_, keys::PledgePrefix(""), kMaxRecordsScanned);
    if (!pledges.ok()) return pledges.status();
    std::map<std::pair<std::string, std::string>, const MarkedPrice*> price_of;
    for (const MarkedPrice& p : effective) price_of[{p.metal, p.currency}] = &p;
    MarkToMarketRecord summary;
    summary.source_seq = seq;
    summary.prices = effective;
    // The margin calls take effect as of the latest mark that moved the price.
    absl::CivilDay as_of = effective.front().date;
    for (const MarkedPrice& p : effective) as_of = std::max(as_of, p.date);
    std::vector<ledger::RecordWrite> changed;
    for (const ledger::Record& r : pledges->records) {
      absl::StatusOr<Pledge> p = DecodePledge(r.value);
      if (!p.ok()) return p.status();
      if (p->status != PledgeStatus::kActive) continue;
      auto it = price_of.find({p->metal, p->currency});
      if (it == price_of.end()) continue;
      ++summary.pledges_evaluated;
      if (!MarkPledge(*p, it->second->price_minor_per_t)) continue;  // unchanged: not written
      p->event = p->in_margin_call ? PledgeEventKind::kMarginCall : PledgeEventKind::kNone;
      p->event_ref.clear();
      (p->in_margin_call ? summary.margin_calls : summary.cured).push_back(p->id);
      changed.push_back(ledger::RecordWrite{r.key, r.version, EncodePledge(*p), false});
    }
    // Chunks of kMaxPledgeWritesPerTx; the last also writes the summary and the cursor.
    // Each chunk's request id is its content's fingerprint, so an identical retry replays
    // and a re-planned one (after a restart) is a new request; CAS keeps both exact.
    bool conflict = false;
    size_t start = 0;
    do {
      const size_t end = std::min(changed.size(), start + kMaxPledgeWritesPerTx);
      const bool final_chunk = end == changed.size();
      ledger::Transaction tx;
      tx.kind = "financing.mark_to_market";
      tx.principal = std::string(kSystemPrincipal);
      tx.business_date = as_of;
      std::string content;
      for (size_t i = start; i < end; ++i) {
        absl::StrAppend(&content, changed[i].key, "@", changed[i].expected_version, ";");
        tx.writes.push_back(changed[i]);
      }
      if (final_chunk) {
        tx.writes.push_back(
            ledger::RecordWrite{keys::MarkToMarket(seq), 0, EncodeMarkToMarket(summary), false});
        nlohmann::json c = {{"seq", seq}};
        tx.writes.push_back(
            ledger::RecordWrite{keys::MtmCursor(), cursor->records[0].version, c.dump(), false});
        absl::StrAppend(&content, "cursor@", cursor->records[0].version);
      }
      tx.request_id = absl::StrCat("financing/mtm/", seq, "/", Fingerprint(content));
      absl::StatusOr<ledger::Receipt> r = ledger_.Commit(tx);
      if (!r.ok()) {
        if (!internal::RetryableOrRaced(r.status())) return r.status();
        last = r.status();
        conflict = true;
        break;
      }
      start = end;
    } while (start < changed.size());
    if (!conflict) return absl::OkStatus();
  }
  return last;
}

}  // namespace reserve::commercial

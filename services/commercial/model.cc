#include "services/commercial/model.h"

#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "services/domain/dates.h"
#include "services/inventory/model.h"

namespace reserve::commercial {
namespace {

using json = nlohmann::json;

// Enum <-> stored name. The names are an on-disk contract.
template <typename E>
struct EnumNames;

template <>
struct EnumNames<CallUpPriceRule> {
  static constexpr std::pair<CallUpPriceRule, const char*> kNames[] = {
      {CallUpPriceRule::kUnspecified, "unspecified"},
      {CallUpPriceRule::kFixed, "fixed"},
      {CallUpPriceRule::kMarket, "market"}};
};
template <>
struct EnumNames<CallUpStatus> {
  static constexpr std::pair<CallUpStatus, const char*> kNames[] = {
      {CallUpStatus::kUnspecified, "unspecified"},
      {CallUpStatus::kOpen, "open"},
      {CallUpStatus::kFulfilled, "fulfilled"}};
};
template <>
struct EnumNames<StatementStatus> {
  static constexpr std::pair<StatementStatus, const char*> kNames[] = {
      {StatementStatus::kUnspecified, "unspecified"},
      {StatementStatus::kIssued, "issued"},
      {StatementStatus::kPaid, "paid"}};
};
template <>
struct EnumNames<PledgeStatus> {
  static constexpr std::pair<PledgeStatus, const char*> kNames[] = {
      {PledgeStatus::kUnspecified, "unspecified"},
      {PledgeStatus::kActive, "active"},
      {PledgeStatus::kReleased, "released"},
      {PledgeStatus::kEnforced, "enforced"}};
};
template <>
struct EnumNames<PledgeEventKind> {
  static constexpr std::pair<PledgeEventKind, const char*> kNames[] = {
      {PledgeEventKind::kNone, ""},
      {PledgeEventKind::kCreated, "created"},
      {PledgeEventKind::kMarginCall, "margin_call"},
      {PledgeEventKind::kCallUp, "call_up"},
      {PledgeEventKind::kReleased, "released"},
      {PledgeEventKind::kEnforced, "enforced"},
      {PledgeEventKind::kCollateralCounted, "collateral_counted"}};
};

template <typename E>
const char* NameOf(E value) {
  for (const auto& [v, name] : EnumNames<E>::kNames) {
    if (v == value) return name;
  }
  return EnumNames<E>::kNames[0].second;
}

template <typename E>
E EnumOf(const std::string& name) {
  for (const auto& [v, n] : EnumNames<E>::kNames) {
    if (name == n) return v;
  }
  throw std::invalid_argument(absl::StrCat("unknown enum value '", name, "'"));
}

// ---- Field helpers: a missing key leaves the default (records may predate a field). ----
template <typename T>
void Get(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = it->get<T>();
}

std::string Day(absl::CivilDay d) { return domain::FormatDate(d); }

absl::CivilDay ParseDay(const json& value) {
  std::optional<absl::CivilDay> d = domain::ParseDate(value.get<std::string>());
  if (!d.has_value()) throw std::invalid_argument("bad date");
  return *d;
}

void GetDay(const json& j, const char* key, absl::CivilDay& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = ParseDay(*it);
}

void GetOptionalDay(const json& j, const char* key, std::optional<absl::CivilDay>& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null() && !it->get<std::string>().empty()) out = ParseDay(*it);
}

json OptionalDay(const std::optional<absl::CivilDay>& d) {
  return d.has_value() ? json(Day(*d)) : json(nullptr);
}

template <typename E>
void GetEnum(const json& j, const char* key, E& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = EnumOf<E>(it->get<std::string>());
}

template <typename T>
absl::StatusOr<T> Decode(absl::string_view text, absl::string_view what, T (*from)(const json&)) {
  try {
    return from(json::parse(text.begin(), text.end()));
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("malformed ", what, " record: ", e.what()));
  }
}

// ---- Enterprise ----
json ToJson(const Enterprise& e) {
  return {{"id", e.id},
          {"name", e.name},
          {"province", e.province},
          {"metals", e.metals},
          {"depot_ids", e.depot_ids},
          {"enrolled_date", Day(e.enrolled_date)},
          {"subsidised_through", OptionalDay(e.subsidised_through)}};
}
Enterprise EnterpriseFrom(const json& j) {
  Enterprise e;
  Get(j, "id", e.id);
  Get(j, "name", e.name);
  Get(j, "province", e.province);
  Get(j, "metals", e.metals);
  Get(j, "depot_ids", e.depot_ids);
  GetDay(j, "enrolled_date", e.enrolled_date);
  GetOptionalDay(j, "subsidised_through", e.subsidised_through);
  return e;
}

// ---- Agreement ----
json ToJson(const Agreement& a) {
  json ext = json::array();
  for (const AgreementExtension& x : a.extensions) {
    ext.push_back({{"business_date", Day(x.business_date)},
                   {"previous_end", Day(x.previous_end)},
                   {"new_end", Day(x.new_end)}});
  }
  return {{"id", a.id},
          {"enterprise_id", a.enterprise_id},
          {"metal", a.metal},
          {"committed_mass_g", a.committed_mass_g},
          {"start_date", Day(a.start_date)},
          {"end_date", Day(a.end_date)},
          {"depot_ids", a.depot_ids},
          {"currency", a.currency},
          {"storage_subsidy_minor_per_t_per_day", a.storage_subsidy_minor_per_t_per_day},
          {"interest_subsidy_bp", a.interest_subsidy_bp},
          {"call_up_notice_days", a.call_up_notice_days},
          {"call_up_price_rule", NameOf(a.call_up_price_rule)},
          {"call_up_price_minor_per_t", a.call_up_price_minor_per_t},
          {"call_up_market_discount_bp", a.call_up_market_discount_bp},
          {"pledged_lots_need_bank_consent", a.pledged_lots_need_bank_consent},
          {"bank_paid_first", a.bank_paid_first},
          {"extensions", ext}};
}
Agreement AgreementFrom(const json& j) {
  Agreement a;
  Get(j, "id", a.id);
  Get(j, "enterprise_id", a.enterprise_id);
  Get(j, "metal", a.metal);
  Get(j, "committed_mass_g", a.committed_mass_g);
  GetDay(j, "start_date", a.start_date);
  GetDay(j, "end_date", a.end_date);
  Get(j, "depot_ids", a.depot_ids);
  Get(j, "currency", a.currency);
  Get(j, "storage_subsidy_minor_per_t_per_day", a.storage_subsidy_minor_per_t_per_day);
  Get(j, "interest_subsidy_bp", a.interest_subsidy_bp);
  Get(j, "call_up_notice_days", a.call_up_notice_days);
  GetEnum(j, "call_up_price_rule", a.call_up_price_rule);
  Get(j, "call_up_price_minor_per_t", a.call_up_price_minor_per_t);
  Get(j, "call_up_market_discount_bp", a.call_up_market_discount_bp);
  Get(j, "pledged_lots_need_bank_consent", a.pledged_lots_need_bank_consent);
  Get(j, "bank_paid_first", a.bank_paid_first);
  if (auto it = j.find("extensions"); it != j.end()) {
    for (const json& x : *it) {
      AgreementExtension e;
      GetDay(x, "business_date", e.business_date);
      GetDay(x, "previous_end", e.previous_end);
      GetDay(x, "new_end", e.new_end);
      a.extensions.push_back(e);
    }
  }
  return a;
}

json ToJson(const AgreementIndex& i) {
  json terms = json::array();
  for (const AgreementTerm& t : i.terms) {
    terms.push_back({{"id", t.id},
                     {"start_date", Day(t.start_date)},
                     {"end_date", Day(t.end_date)},
                     {"depot_ids", t.depot_ids}});
  }
  return {{"terms", terms}};
}
AgreementIndex AgreementIndexFrom(const json& j) {
  AgreementIndex i;
  if (auto it = j.find("terms"); it != j.end()) {
    for (const json& x : *it) {
      AgreementTerm t;
      Get(x, "id", t.id);
      GetDay(x, "start_date", t.start_date);
      GetDay(x, "end_date", t.end_date);
      Get(x, "depot_ids", t.depot_ids);
      i.terms.push_back(std::move(t));
    }
  }
  return i;
}

// ---- Pledge ----
json ToJson(const Pledge& p) {
  json history = json::array();
  for (const PrincipalStep& s : p.principal_history) {
    history.push_back({{"from", Day(s.from)}, {"principal_minor", s.principal_minor}});
  }
  return {{"id", p.id},
          {"bank", p.bank},
          {"borrower", p.borrower},
          {"agreement_id", p.agreement_id},
          {"lot_ids", p.lot_ids},
          {"metal", p.metal},
          {"currency", p.currency},
          {"collateral_mass_g", p.collateral_mass_g},
          {"principal_minor", p.principal_minor},
          {"interest_rate_bp", p.interest_rate_bp},
          {"start_date", Day(p.start_date)},
          {"maturity_date", Day(p.maturity_date)},
          {"max_ltv_bp", p.max_ltv_bp},
          {"margin_call_ltv_bp", p.margin_call_ltv_bp},
          {"loan_reference", p.loan_reference},
          {"status", NameOf(p.status)},
          {"in_margin_call", p.in_margin_call},
          {"marked_ltv_bp", p.marked_ltv_bp},
          {"end_date", OptionalDay(p.end_date)},
          {"call_up_ids", p.call_up_ids},
          {"consented_call_up_ids", p.consented_call_up_ids},
          {"principal_history", history},
          {"request_fp", p.request_fp},
          {"event", NameOf(p.event)},
          {"event_ref", p.event_ref}};
}
Pledge PledgeFrom(const json& j) {
  Pledge p;
  Get(j, "id", p.id);
  Get(j, "bank", p.bank);
  Get(j, "borrower", p.borrower);
  Get(j, "agreement_id", p.agreement_id);
  Get(j, "lot_ids", p.lot_ids);
  Get(j, "metal", p.metal);
  Get(j, "currency", p.currency);
  Get(j, "collateral_mass_g", p.collateral_mass_g);
  Get(j, "principal_minor", p.principal_minor);
  Get(j, "interest_rate_bp", p.interest_rate_bp);
  GetDay(j, "start_date", p.start_date);
  GetDay(j, "maturity_date", p.maturity_date);
  Get(j, "max_ltv_bp", p.max_ltv_bp);
  Get(j, "margin_call_ltv_bp", p.margin_call_ltv_bp);
  Get(j, "loan_reference", p.loan_reference);
  GetEnum(j, "status", p.status);
  Get(j, "in_margin_call", p.in_margin_call);
  Get(j, "marked_ltv_bp", p.marked_ltv_bp);
  GetOptionalDay(j, "end_date", p.end_date);
  Get(j, "call_up_ids", p.call_up_ids);
  Get(j, "consented_call_up_ids", p.consented_call_up_ids);
  if (auto it = j.find("principal_history"); it != j.end()) {
    for (const json& x : *it) {
      PrincipalStep s;
      GetDay(x, "from", s.from);
      Get(x, "principal_minor", s.principal_minor);
      p.principal_history.push_back(s);
    }
  }
  Get(j, "request_fp", p.request_fp);
  GetEnum(j, "event", p.event);
  Get(j, "event_ref", p.event_ref);
  return p;
}

// ---- Prices and mark to market ----
json ToJson(const MarkedPrice& p) {
  return {{"metal", p.metal},
          {"currency", p.currency},
          {"date", Day(p.date)},
          {"price_minor_per_t", p.price_minor_per_t},
          {"source_seq", p.source_seq}};
}
MarkedPrice MarkedPriceFrom(const json& j) {
  MarkedPrice p;
  Get(j, "metal", p.metal);
  Get(j, "currency", p.currency);
  GetDay(j, "date", p.date);
  Get(j, "price_minor_per_t", p.price_minor_per_t);
  Get(j, "source_seq", p.source_seq);
  return p;
}

json ToJson(const MarkToMarketRecord& r) {
  json prices = json::array();
  for (const MarkedPrice& p : r.prices) prices.push_back(ToJson(p));
  return {{"source_seq", r.source_seq},
          {"prices", prices},
          {"pledges_evaluated", r.pledges_evaluated},
          {"margin_calls", r.margin_calls},
          {"cured", r.cured}};
}
MarkToMarketRecord MarkToMarketFrom(const json& j) {
  MarkToMarketRecord r;
  Get(j, "source_seq", r.source_seq);
  if (auto it = j.find("prices"); it != j.end()) {
    for (const json& x : *it) r.prices.push_back(MarkedPriceFrom(x));
  }
  Get(j, "pledges_evaluated", r.pledges_evaluated);
  Get(j, "margin_calls", r.margin_calls);
  Get(j, "cured", r.cured);
  return r;
}

// ---- Call-ups ----
json ToJson(const CallUp& c) {
  json deliveries = json::array();
  for (const CallUpDelivery& d : c.deliveries) {
    deliveries.push_back({{"lot_id", d.lot_id},
                          {"mass_g", d.mass_g},
                          {"business_date", Day(d.business_date)},
                          {"late", d.late},
                          {"paid_to_bank_minor", d.paid_to_bank_minor},
                          {"bank", d.bank},
                          {"paid_to_enterprise_minor", d.paid_to_enterprise_minor}});
  }
  return {{"id", c.id},
          {"agreement_id", c.agreement_id},
          {"enterprise_id", c.enterprise_id},
          {"metal", c.metal},
          {"quantity_g", c.quantity_g},
          {"issued_date", Day(c.issued_date)},
          {"due_date", Day(c.due_date)},
          {"price_minor_per_t", c.price_minor_per_t},
          {"currency", c.currency},
          {"state_owner", c.state_owner},
          {"reason", c.reason},
          {"status", NameOf(c.status)},
          {"delivered_g", c.delivered_g},
          {"delivered_late_g", c.delivered_late_g},
          {"paid_minor", c.paid_minor},
          {"deliveries", deliveries},
          {"affected_pledge_ids", c.affected_pledge_ids}};
}
CallUp CallUpFrom(const json& j) {
  CallUp c;
  Get(j, "id", c.id);
  Get(j, "agreement_id", c.agreement_id);
  Get(j, "enterprise_id", c.enterprise_id);
  Get(j, "metal", c.metal);
  Get(j, "quantity_g", c.quantity_g);
  GetDay(j, "issued_date", c.issued_date);
  GetDay(j, "due_date", c.due_date);
  Get(j, "price_minor_per_t", c.price_minor_per_t);
  Get(j, "currency", c.currency);
  Get(j, "state_owner", c.state_owner);
  Get(j, "reason", c.reason);
  GetEnum(j, "status", c.status);
  Get(j, "delivered_g", c.delivered_g);
  Get(j, "delivered_late_g", c.delivered_late_g);
  Get(j, "paid_minor", c.paid_minor);
  if (auto it = j.find("deliveries"); it != j.end()) {
    for (const json& x : *it) {
      CallUpDelivery d;
      Get(x, "lot_id", d.lot_id);
      Get(x, "mass_g", d.mass_g);
      GetDay(x, "business_date", d.business_date);
      Get(x, "late", d.late);
      Get(x, "paid_to_bank_minor", d.paid_to_bank_minor);
      Get(x, "bank", d.bank);
      Get(x, "paid_to_enterprise_minor", d.paid_to_enterprise_minor);
      c.deliveries.push_back(std::move(d));
    }
  }
  Get(j, "affected_pledge_ids", c.affected_pledge_ids);
  return c;
}

// ---- Subsidy statements ----
json ToJson(const SubsidyStatement& s) {
  json lines = json::array();
  for (const SubsidyLine& l : s.lines) {
    lines.push_back({{"agreement_id", l.agreement_id},
                     {"metal", l.metal},
                     {"days_in_term", l.days_in_term},
                     {"held_gram_days", l.held_gram_days},
                     {"storage_subsidy_minor", l.storage_subsidy_minor},
                     {"financed_minor_days", l.financed_minor_days},
                     {"interest_subsidy_minor", l.interest_subsidy_minor}});
  }
  return {{"id", s.id},
          {"enterprise_id", s.enterprise_id},
          {"period_start", Day(s.period_start)},
          {"period_end", Day(s.period_end)},
          {"currency", s.currency},
          {"lines", lines},
          {"total_minor", s.total_minor},
          {"status", NameOf(s.status)},
          {"issued_date", Day(s.issued_date)},
          {"paid_date", OptionalDay(s.paid_date)},
          {"as_of_seq", s.as_of_seq}};
}
SubsidyStatement StatementFrom(const json& j) {
  SubsidyStatement s;
  Get(j, "id", s.id);
  Get(j, "enterprise_id", s.enterprise_id);
  GetDay(j, "period_start", s.period_start);
  GetDay(j, "period_end", s.period_end);
  Get(j, "currency", s.currency);
  if (auto it = j.find("lines"); it != j.end()) {
    for (const json& x : *it) {
      SubsidyLine l;
      Get(x, "agreement_id", l.agreement_id);
      Get(x, "metal", l.metal);
      Get(x, "days_in_term", l.days_in_term);
      Get(x, "held_gram_days", l.held_gram_days);
      Get(x, "storage_subsidy_minor", l.storage_subsidy_minor);
      Get(x, "financed_minor_days", l.financed_minor_days);
      Get(x, "interest_subsidy_minor", l.interest_subsidy_minor);
      s.lines.push_back(std::move(l));
    }
  }
  Get(j, "total_minor", s.total_minor);
  GetEnum(j, "status", s.status);
  GetDay(j, "issued_date", s.issued_date);
  GetOptionalDay(j, "paid_date", s.paid_date);
  Get(j, "as_of_seq", s.as_of_seq);
  return s;
}

}  // namespace

absl::string_view BudgetName(Budget b) {
  switch (b) {
    case Budget::kSubsidy:
      return "subsidy";
    case Budget::kCallUp:
      return "call-up";
    case Budget::kUnspecified:
      break;
  }
  return "unspecified";
}

absl::string_view PledgeStatusName(PledgeStatus s) { return NameOf(s); }
absl::string_view PledgeEventKindName(PledgeEventKind k) { return NameOf(k); }

std::string EncodeEnterprise(const Enterprise& e) { return ToJson(e).dump(); }
std::string EncodeAgreement(const Agreement& a) { return ToJson(a).dump(); }
std::string EncodeAgreementIndex(const AgreementIndex& i) { return ToJson(i).dump(); }
std::string EncodePledge(const Pledge& p) { return ToJson(p).dump(); }
std::string EncodeMarkedPrice(const MarkedPrice& p) { return ToJson(p).dump(); }
std::string EncodeMarkToMarket(const MarkToMarketRecord& r) { return ToJson(r).dump(); }
std::string EncodeCallUp(const CallUp& c) { return ToJson(c).dump(); }
std::string EncodeStatement(const SubsidyStatement& s) { return ToJson(s).dump(); }

absl::StatusOr<Enterprise> DecodeEnterprise(absl::string_view j) {
  return Decode<Enterprise>(j, "enterprise", EnterpriseFrom);
}
absl::StatusOr<Agreement> DecodeAgreement(absl::string_view j) {
  return Decode<Agreement>(j, "agreement", AgreementFrom);
}
absl::StatusOr<AgreementIndex> DecodeAgreementIndex(absl::string_view j) {
  return Decode<AgreementIndex>(j, "agreement index", AgreementIndexFrom);
}
absl::StatusOr<Pledge> DecodePledge(absl::string_view j) {
  return Decode<Pledge>(j, "pledge", PledgeFrom);
}
absl::StatusOr<MarkedPrice> DecodeMarkedPrice(absl::string_view j) {
  return Decode<MarkedPrice>(j, "marked price", MarkedPriceFrom);
}
absl::StatusOr<MarkToMarketRecord> DecodeMarkToMarket(absl::string_view j) {
  return Decode<MarkToMarketRecord>(j, "mark-to-market", MarkToMarketFrom);
}
absl::StatusOr<CallUp> DecodeCallUp(absl::string_view j) {
  return Decode<CallUp>(j, "call-up", CallUpFrom);
}
absl::StatusOr<SubsidyStatement> DecodeStatement(absl::string_view j) {
  return Decode<SubsidyStatement>(j, "subsidy statement", StatementFrom);
}

}  // namespace reserve::commercial

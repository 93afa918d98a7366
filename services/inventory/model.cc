#include "services/inventory/model.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "services/domain/json.h"

namespace reserve::inventory {

NLOHMANN_JSON_SERIALIZE_ENUM(ReserveClass, {{ReserveClass::kUnspecified, "unspecified"},
                                            {ReserveClass::kCentral, "central"},
                                            {ReserveClass::kLocal, "local"},
                                            {ReserveClass::kCommercial, "commercial"}})
NLOHMANN_JSON_SERIALIZE_ENUM(DepotKind, {{DepotKind::kUnspecified, "unspecified"},
                                         {DepotKind::kState, "state"},
                                         {DepotKind::kCommercial, "commercial"}})
NLOHMANN_JSON_SERIALIZE_ENUM(LotStatus, {{LotStatus::kUnspecified, "unspecified"},
                                         {LotStatus::kInStock, "in_stock"},
                                         {LotStatus::kInTransit, "in_transit"},
                                         {LotStatus::kReleased, "released"},
                                         {LotStatus::kPledged, "pledged"},
                                         {LotStatus::kEarmarked, "earmarked"}})
NLOHMANN_JSON_SERIALIZE_ENUM(CountStatus, {{CountStatus::kUnspecified, "unspecified"},
                                           {CountStatus::kPosted, "posted"},
                                           {CountStatus::kPending, "pending"},
                                           {CountStatus::kRejected, "rejected"}})

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Grade, code, standard)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Metal, code, name_zh, name_en, grades)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Depot, id, name, province, operator_name, kind,
                                                approved_for_pledge, capacity_g)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Encumbrance, kind, holder, reference)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Lot, id, metal, grade, standard, brand, form,
                                                pieces, net_mass_g, gross_mass_g, depot, location,
                                                year_produced, year_stored, cost_minor, currency,
                                                reserve_class, owner, status, transit_to,
                                                encumbrances, order_id, released_to,
                                                release_reference)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PriceMark, metal, date, price_minor_per_t, currency,
                                                source)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StockCount, id, lot_id, metal, depot, book_mass_g,
                                                counted_mass_g, difference_g, reason, counter,
                                                approver, status, lot_version, business_date)

using domain::DecodeJson;
using domain::EncodeJson;

absl::string_view ReserveClassName(ReserveClass c) {
  switch (c) {
    case ReserveClass::kCentral:
      return "central";
    case ReserveClass::kLocal:
      return "local";
    case ReserveClass::kCommercial:
      return "commercial";
    case ReserveClass::kUnspecified:
      break;
  }
  return "unspecified";
}

std::optional<ReserveClass> ParseReserveClass(absl::string_view name) {
  for (ReserveClass c : {ReserveClass::kCentral, ReserveClass::kLocal, ReserveClass::kCommercial}) {
    if (name == ReserveClassName(c)) {
      return c;
    }
  }
  return std::nullopt;
}

absl::string_view DepotKindName(DepotKind k) {
  switch (k) {
    case DepotKind::kState:
      return "state";
    case DepotKind::kCommercial:
      return "commercial";
    case DepotKind::kUnspecified:
      break;
  }
  return "unspecified";
}

absl::string_view LotStatusName(LotStatus s) {
  switch (s) {
    case LotStatus::kInStock:
      return "in_stock";
    case LotStatus::kInTransit:
      return "in_transit";
    case LotStatus::kReleased:
      return "released";
    case LotStatus::kPledged:
      return "pledged";
    case LotStatus::kEarmarked:
      return "earmarked";
    case LotStatus::kUnspecified:
      break;
  }
  return "unspecified";
}

absl::string_view CountStatusName(CountStatus s) {
  switch (s) {
    case CountStatus::kPosted:
      return "posted";
    case CountStatus::kPending:
      return "pending";
    case CountStatus::kRejected:
      return "rejected";
    case CountStatus::kUnspecified:
      break;
  }
  return "unspecified";
}

std::string EncodeMetal(const Metal& m) { return EncodeJson(m); }
std::string EncodeDepot(const Depot& d) { return EncodeJson(d); }
// The document nlohmann's json(lot).dump() writes (keys in sorted order, compact, the same
// escaping for text without control characters, which the service rejects), streamed
// without building it: every acquisition writes a lot and every movement rewrites one, and
// building the document cost ~50k instructions per lot. model_test checks the two agree.
std::string EncodeLot(const Lot& l) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  auto str = [&w](const char* key, absl::string_view value) {
    w.Key(key);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  auto num = [&w](const char* key, int64_t value) {
    w.Key(key);
    w.Int64(value);
  };
  w.StartObject();
  str("brand", l.brand);
  num("cost_minor", l.cost_minor);
  str("currency", l.currency);
  str("depot", l.depot);
  w.Key("encumbrances");
  w.StartArray();
  for (const Encumbrance& e : l.encumbrances) {
    w.StartObject();
    str("holder", e.holder);
    str("kind", e.kind);
    str("reference", e.reference);
    w.EndObject();
  }
  w.EndArray();
  str("form", l.form);
  str("grade", l.grade);
  num("gross_mass_g", l.gross_mass_g);
  str("id", l.id);
  str("location", l.location);
  str("metal", l.metal);
  num("net_mass_g", l.net_mass_g);
  str("order_id", l.order_id);
  str("owner", l.owner);
  num("pieces", l.pieces);
  str("release_reference", l.release_reference);
  str("released_to", l.released_to);
  str("reserve_class", ReserveClassName(l.reserve_class));
  str("standard", l.standard);
  str("status", LotStatusName(l.status));
  str("transit_to", l.transit_to);
  num("year_produced", l.year_produced);
  num("year_stored", l.year_stored);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

namespace internal {
std::string EncodeLotViaDocument(const Lot& l) { return EncodeJson(l); }
}  // namespace internal

std::string EncodePriceMark(const PriceMark& p) { return EncodeJson(p); }
std::string EncodeStockCount(const StockCount& c) { return EncodeJson(c); }
absl::StatusOr<Metal> DecodeMetal(absl::string_view json) {
  return DecodeJson<Metal>(json, "metal");
}
absl::StatusOr<Depot> DecodeDepot(absl::string_view json) {
  return DecodeJson<Depot>(json, "depot");
}
absl::StatusOr<Lot> DecodeLot(absl::string_view json) { return DecodeJson<Lot>(json, "lot"); }
absl::StatusOr<PriceMark> DecodePriceMark(absl::string_view json) {
  return DecodeJson<PriceMark>(json, "price mark");
}
absl::StatusOr<StockCount> DecodeStockCount(absl::string_view json) {
  return DecodeJson<StockCount>(json, "stock count");
}

}  // namespace reserve::inventory

#include "services/inventory/model.h"

#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace nlohmann {
template <>
struct adl_serializer<absl::CivilDay> {
  static void to_json(json& j, const absl::CivilDay& d) { j = reserve::inventory::FormatDate(d); }
  static void from_json(const json& j, absl::CivilDay& d) {
    std::optional<absl::CivilDay> parsed = reserve::inventory::ParseDate(j.get<std::string>());
    if (!parsed.has_value()) {
      throw std::invalid_argument("bad date");
    }
    d = *parsed;
  }
};
}  // namespace nlohmann

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

namespace {

template <typename T>
std::string Encode(const T& value) {
  return nlohmann::json(value).dump();
}

template <typename T>
absl::StatusOr<T> Decode(absl::string_view text, absl::string_view what) {
  try {
    return nlohmann::json::parse(text.begin(), text.end()).get<T>();
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("malformed ", what, " record: ", e.what()));
  }
}

}  // namespace

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

std::string EncodeMetal(const Metal& m) { return Encode(m); }
std::string EncodeDepot(const Depot& d) { return Encode(d); }
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
std::string EncodeLotViaDocument(const Lot& l) { return Encode(l); }
}  // namespace internal

std::string EncodePriceMark(const PriceMark& p) { return Encode(p); }
std::string EncodeStockCount(const StockCount& c) { return Encode(c); }
absl::StatusOr<Metal> DecodeMetal(absl::string_view json) { return Decode<Metal>(json, "metal"); }
absl::StatusOr<Depot> DecodeDepot(absl::string_view json) { return Decode<Depot>(json, "depot"); }
absl::StatusOr<Lot> DecodeLot(absl::string_view json) { return Decode<Lot>(json, "lot"); }
absl::StatusOr<PriceMark> DecodePriceMark(absl::string_view json) {
  return Decode<PriceMark>(json, "price mark");
}
absl::StatusOr<StockCount> DecodeStockCount(absl::string_view json) {
  return Decode<StockCount>(json, "stock count");
}

std::string FormatDate(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

std::optional<absl::CivilDay> ParseDate(absl::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return std::nullopt;
  }
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      return std::nullopt;
    }
  }
  int year = 0;
  int month = 0;
  int day = 0;
  if (!absl::SimpleAtoi(text.substr(0, 4), &year) || !absl::SimpleAtoi(text.substr(5, 2), &month) ||
      !absl::SimpleAtoi(text.substr(8, 2), &day)) {
    return std::nullopt;
  }
  absl::CivilDay parsed(year, month, day);
  // CivilDay normalises (2023-02-30 -> 2023-03-02); a real date survives unchanged.
  if (parsed.year() != year || parsed.month() != month || parsed.day() != day) {
    return std::nullopt;
  }
  return parsed;
}

}  // namespace reserve::inventory

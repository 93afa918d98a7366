#include "clients/reservectl/lot_fields.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "clients/reservectl/client.h"
#include "clients/reservectl/decimal.h"

namespace reserve::ctl {

namespace {

using Setter = std::function<absl::Status(const std::string&, v1::Lot*)>;

Setter Text(void (v1::Lot::*set)(const std::string&)) {
  return [set](const std::string& text, v1::Lot* lot) {
    (lot->*set)(text);
    return absl::OkStatus();
  };
}

template <typename T>
Setter Integer(void (v1::Lot::*set)(T)) {
  return [set](const std::string& text, v1::Lot* lot) {
    int64_t value = 0;
    if (!absl::SimpleAtoi(text, &value)) {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a whole number"));
    }
    (lot->*set)(static_cast<T>(value));
    return absl::OkStatus();
  };
}

// A decimal in units of 10^-scale of the field's unit: tonnes -> grams (6), yuan -> fen (2).
Setter Scaled(void (v1::Lot::*set)(int64_t), int scale) {
  return [set, scale](const std::string& text, v1::Lot* lot) {
    absl::StatusOr<int64_t> value = ParseScaled(text, scale);
    if (!value.ok()) return value.status();
    (lot->*set)(*value);
    return absl::OkStatus();
  };
}

absl::Status SetClass(const std::string& text, v1::Lot* lot) {
  absl::StatusOr<int> v = ParseEnum(v1::ReserveClass_descriptor(), text);
  if (!v.ok()) return v.status();
  lot->set_reserve_class(static_cast<v1::ReserveClass>(*v));
  return absl::OkStatus();
}

absl::Status SetMetal(const std::string& text, v1::Lot* lot) {
  lot->set_metal(absl::AsciiStrToUpper(text));
  return absl::OkStatus();
}

// Pairs of columns that set the same quantity; at most one of each pair may be given.
const std::vector<std::pair<std::string, std::string>>& Alternatives() {
  static const std::vector<std::pair<std::string, std::string>> pairs = {
      {"net_mass_g", "net_mass_t"}, {"gross_mass_g", "gross_mass_t"}, {"cost_minor", "cost"}};
  return pairs;
}

}  // namespace

const std::vector<LotField>& LotFields() {
  using L = v1::Lot;
  static const std::vector<LotField> fields = {
      {"lot_id", "--lot-id", "lot id (default: <request id>-<n>)", Text(&L::set_lot_id)},
      {"metal", "--metal", "metal code, e.g. CU", SetMetal},
      {"grade", "--grade", "grade code from the catalog, e.g. Cu-CATH-1", Text(&L::set_grade)},
      {"brand", "--brand", "producer brand", Text(&L::set_brand)},
      {"form", "--form", "physical form, e.g. cathode bundle", Text(&L::set_form)},
      {"pieces", "--pieces", "number of pieces or bundles", Integer(&L::set_pieces)},
      {"net_mass_g", "--net-mass-g", "net mass in grams", Integer(&L::set_net_mass_g)},
      {"net_mass_t", "--net-mass-t", "net mass in tonnes (exact, up to 6 decimals)",
       Scaled(&L::set_net_mass_g, 6)},
      {"gross_mass_g", "--gross-mass-g", "gross mass in grams (default: net)",
       Integer(&L::set_gross_mass_g)},
      {"gross_mass_t", "--gross-mass-t", "gross mass in tonnes (default: net)",
       Scaled(&L::set_gross_mass_g, 6)},
      {"depot_id", "--depot", "depot id", Text(&L::set_depot_id)},
      {"location", "--location", "place inside the depot", Text(&L::set_location)},
      {"year_produced", "--year-produced", "year the metal was produced",
       Integer(&L::set_year_produced)},
      {"year_stored", "--year-stored", "year it entered the reserve (default: business year)",
       Integer(&L::set_year_stored)},
      {"cost_minor", "--cost-minor", "book cost in minor units (fen)", Integer(&L::set_cost_minor)},
      {"cost", "--cost", "book cost in major units (yuan, exact, up to 2 decimals)",
       Scaled(&L::set_cost_minor, 2)},
      {"currency", "--currency", "currency of the cost (default CNY)", Text(&L::set_currency)},
      {"reserve_class", "--class", "reserve class: " + EnumChoices(v1::ReserveClass_descriptor()),
       SetClass},
      {"owner", "--owner", "owner id, e.g. NFSRA", Text(&L::set_owner)},
  };
  return fields;
}

absl::StatusOr<v1::Lot> LotFromFields(const std::map<std::string, std::string>& fields,
                                      int default_year_stored) {
  for (const auto& [a, b] : Alternatives()) {
    auto ia = fields.find(a);
    auto ib = fields.find(b);
    if (ia != fields.end() && ib != fields.end() && !ia->second.empty() && !ib->second.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("give ", a, " or ", b, ", not both"));
    }
  }
  v1::Lot lot;
  for (const auto& [column, text] : fields) {
    const LotField* field = nullptr;
    for (const LotField& f : LotFields()) {
      if (f.column == column) field = &f;
    }
    if (field == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown lot column '", column, "'"));
    }
    const std::string value(absl::StripAsciiWhitespace(text));
    if (value.empty()) continue;
    if (absl::Status s = field->set(value, &lot); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(column, ": ", s.message()));
    }
  }
  if (lot.gross_mass_g() == 0) lot.set_gross_mass_g(lot.net_mass_g());
  if (lot.currency().empty()) lot.set_currency("CNY");
  if (lot.year_stored() == 0) lot.set_year_stored(default_year_stored);
  return lot;
}

}  // namespace reserve::ctl

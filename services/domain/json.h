// Records as JSON (nlohmann): how the services' model.cc files store dates and optional fields,
// and the encode/decode pair every record type goes through. Include it only in .cc files that
// define record codecs; the JSON forms it fixes are an on-disk contract.
#ifndef RESERVE_SERVICES_DOMAIN_JSON_H_
#define RESERVE_SERVICES_DOMAIN_JSON_H_

#include <exception>
#include <optional>
#include <stdexcept>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "nlohmann/json.hpp"
#include "services/domain/dates.h"

namespace nlohmann {

// A date is its "YYYY-MM-DD" string; anything else fails to decode.
template <>
struct adl_serializer<absl::CivilDay> {
  static void to_json(json& j, const absl::CivilDay& d) { j = reserve::domain::FormatDate(d); }
  static void from_json(const json& j, absl::CivilDay& d) {
    std::optional<absl::CivilDay> parsed = reserve::domain::ParseDate(j.get<std::string>());
    if (!parsed.has_value()) throw std::invalid_argument("bad date");
    d = *parsed;
  }
};

// An absent optional is JSON null (and a missing key decodes as absent).
template <typename T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& v) {
    if (v.has_value()) {
      j = *v;
    } else {
      j = nullptr;
    }
  }
  static void from_json(const json& j, std::optional<T>& v) {
    if (j.is_null()) {
      v.reset();
    } else {
      v = j.get<T>();
    }
  }
};

}  // namespace nlohmann

namespace reserve::domain {

// The record text of `value` (its nlohmann to_json form, compact).
template <typename T>
std::string EncodeJson(const T& value) {
  return nlohmann::json(value).dump();
}

// Decodes a record; DATA_LOSS "malformed <what> record: ..." when the text is not one.
template <typename T>
absl::StatusOr<T> DecodeJson(absl::string_view text, absl::string_view what) {
  try {
    return nlohmann::json::parse(text.begin(), text.end()).get<T>();
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("malformed ", what, " record: ", e.what()));
  }
}

}  // namespace reserve::domain

#endif  // RESERVE_SERVICES_DOMAIN_JSON_H_

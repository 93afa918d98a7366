#include "services/domain/checks.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "storage/errors.h"
#include "storage/ledger.h"

namespace reserve::domain {
namespace {

bool IsIdChar(char c, Colon colon) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
         (c == ':' && colon == Colon::kAllowed);
}

}  // namespace

absl::Status CheckId(absl::string_view value, absl::string_view field, Colon colon) {
  if (value.empty()) return InvalidField(field, "required");
  if (value.size() > kMaxIdChars) {
    return InvalidField(field, absl::StrCat("longer than ", kMaxIdChars, " characters"));
  }
  if (!std::all_of(value.begin(), value.end(), [colon](char c) { return IsIdChar(c, colon); })) {
    return InvalidField(field, colon == Colon::kAllowed
                                   ? "only letters, digits and . _ - : are allowed"
                                   : "only letters, digits and . _ - are allowed");
  }
  return absl::OkStatus();
}

absl::Status CheckText(absl::string_view value, absl::string_view field, bool required,
                       size_t max_bytes) {
  if (required && value.empty()) return InvalidField(field, "required");
  if (value.size() > max_bytes) {
    return InvalidField(field, absl::StrCat("longer than ", max_bytes, " bytes"));
  }
  if (!ledger::IsCleanText(value)) {
    return InvalidField(field, "must be valid UTF-8 without control characters");
  }
  return absl::OkStatus();
}

absl::Status CheckMetalCode(absl::string_view code, absl::string_view field) {
  if (code.empty() || code.size() > 8 ||
      !absl::ascii_isupper(static_cast<unsigned char>(code[0])) ||
      !std::all_of(code.begin(), code.end(), [](char c) {
        return absl::ascii_isupper(static_cast<unsigned char>(c)) ||
               absl::ascii_isdigit(static_cast<unsigned char>(c));
      })) {
    return InvalidField(field, "1 to 8 upper-case letters or digits, starting with a letter");
  }
  return absl::OkStatus();
}

absl::Status CheckCurrency(absl::string_view code, absl::string_view field) {
  if (code.size() != 3 || !std::all_of(code.begin(), code.end(), [](char c) {
        return absl::ascii_isupper(static_cast<unsigned char>(c));
      })) {
    return InvalidField(field, "an ISO 4217 code such as CNY");
  }
  return absl::OkStatus();
}

absl::Status CheckDate(absl::CivilDay day, absl::string_view field) {
  if (day < ledger::kMinBusinessDate || day > ledger::kMaxBusinessDate) {
    return InvalidField(field, "outside 1900-01-01..2199-12-31");
  }
  return absl::OkStatus();
}

absl::Status CheckYear(int64_t year, absl::string_view field) {
  if (year < ledger::kMinBusinessDate.year() || year > ledger::kMaxBusinessDate.year()) {
    return InvalidField(field, "a year between 1900 and 2199");
  }
  return absl::OkStatus();
}

absl::Status CheckContext(const Context& ctx, size_t max_request_id_chars) {
  if (ctx.request_id.empty()) return InvalidField("request_id", "required");
  if (ctx.request_id.size() > max_request_id_chars) {
    return InvalidField("request_id", absl::StrCat("longer than ", max_request_id_chars, " bytes"));
  }
  if (!ledger::IsCleanText(ctx.request_id)) {
    return InvalidField("request_id", "must be valid UTF-8 without control characters");
  }
  if (ctx.principal.empty()) return absl::UnauthenticatedError("no principal");
  return CheckDate(ctx.business_date, "business_date");
}

absl::Status NotFound(absl::string_view reason, absl::string_view message) {
  return Rejection(absl::StatusCode::kNotFound, reason, message);
}

}  // namespace reserve::domain

#include "storage/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"

namespace reserve {

absl::Status InvalidField(absl::string_view field, absl::string_view why) {
  absl::Status status(absl::StatusCode::kInvalidArgument, absl::StrCat(field, ": ", why));
  status.SetPayload(kFieldPayload, absl::Cord(field));
  return status;
}

absl::Status Rejection(absl::StatusCode code, absl::string_view reason, absl::string_view message) {
  absl::Status status(code, message);
  status.SetPayload(kReasonPayload, absl::Cord(reason));
  return status;
}

absl::Status Precondition(absl::string_view reason, absl::string_view message) {
  return Rejection(absl::StatusCode::kFailedPrecondition, reason, message);
}

namespace {
std::optional<std::string> PayloadOf(const absl::Status& status, absl::string_view url) {
  absl::optional<absl::Cord> payload = status.GetPayload(url);
  if (!payload.has_value()) {
    return std::nullopt;
  }
  return std::string(*payload);
}
}  // namespace

std::optional<std::string> ReasonOf(const absl::Status& status) {
  return PayloadOf(status, kReasonPayload);
}

std::optional<std::string> FieldOf(const absl::Status& status) {
  return PayloadOf(status, kFieldPayload);
}

}  // namespace reserve

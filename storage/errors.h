// Error conventions shared by the ledger and every service (DESIGN.md section 6).
//
// Errors are absl::Status values. A business rejection carries a machine-readable reason
// (an UPPER_SNAKE string constant such as "INSUFFICIENT_BALANCE") as a status payload, and
// an invalid argument carries the name of the offending field. The message is for people.
// services/common/grpc_status.h converts these to grpc::Status in exactly one function, and
// storage/remote converts them back, so reasons survive a hop over the network.
#ifndef RESERVE_STORAGE_ERRORS_H_
#define RESERVE_STORAGE_ERRORS_H_

#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace reserve {

// Payload type URLs under which the reason and the field are stored.
inline constexpr absl::string_view kReasonPayload = "type.reserve/reason";
inline constexpr absl::string_view kFieldPayload = "type.reserve/field";

// Ledger rejection reasons. Values are part of the API: never rename one.
namespace reason {
inline constexpr absl::string_view kUnbalanced = "UNBALANCED";
inline constexpr absl::string_view kInsufficientBalance = "INSUFFICIENT_BALANCE";
inline constexpr absl::string_view kUnknownAccount = "UNKNOWN_ACCOUNT";
inline constexpr absl::string_view kAccountExists = "ACCOUNT_EXISTS";
inline constexpr absl::string_view kVersionConflict = "VERSION_CONFLICT";
inline constexpr absl::string_view kRequestIdReused = "REQUEST_ID_REUSED";
inline constexpr absl::string_view kLedgerHalted = "LEDGER_HALTED";
inline constexpr absl::string_view kOverflow = "OVERFLOW";
inline constexpr absl::string_view kQueueFull = "QUEUE_FULL";
}  // namespace reason

// INVALID_ARGUMENT naming `field` (a proto-style path such as "postings[2].amount").
absl::Status InvalidField(absl::string_view field, absl::string_view why);

// A status with `code` and a machine-readable `reason`.
absl::Status Rejection(absl::StatusCode code, absl::string_view reason, absl::string_view message);

// FAILED_PRECONDITION with a reason: state forbids the request.
absl::Status Precondition(absl::string_view reason, absl::string_view message);

// The reason or field attached to `status`, if any.
std::optional<std::string> ReasonOf(const absl::Status& status);
std::optional<std::string> FieldOf(const absl::Status& status);

}  // namespace reserve

#endif  // RESERVE_STORAGE_ERRORS_H_

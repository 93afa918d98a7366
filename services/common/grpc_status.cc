#include "services/common/grpc_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "reserve/v1/error.pb.h"
#include "services/common/log.h"
#include "storage/errors.h"

namespace reserve {

namespace {
// What a caller sees instead of the detail of a bug.
constexpr absl::string_view kInternalMessage = "internal error (details in the server log)";
}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) {
    return grpc::Status::OK;
  }
  const auto code = static_cast<grpc::StatusCode>(static_cast<int>(status.code()));
  std::string message(status.message());
  if (status.code() == absl::StatusCode::kInternal || status.code() == absl::StatusCode::kUnknown) {
    log::Error("rpc.internal_error", {{"status", status.ToString()}});
    message = std::string(kInternalMessage);
  }
  v1::ErrorDetail detail;
  if (auto reason = ReasonOf(status)) {
    detail.set_reason(*reason);
  }
  if (auto field = FieldOf(status)) {
    detail.set_field(*field);
  }
  if (detail.reason().empty() && detail.field().empty()) {
    return grpc::Status(code, message);
  }
  return grpc::Status(code, message, detail.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) {
    return absl::OkStatus();
  }
  absl::Status out(static_cast<absl::StatusCode>(static_cast<int>(status.error_code())),
                   status.error_message());
  v1::ErrorDetail detail;
  if (!status.error_details().empty() && detail.ParseFromString(status.error_details())) {
    if (!detail.reason().empty()) {
      out.SetPayload(kReasonPayload, absl::Cord(detail.reason()));
    }
    if (!detail.field().empty()) {
      out.SetPayload(kFieldPayload, absl::Cord(detail.field()));
    }
  }
  return out;
}

}  // namespace reserve

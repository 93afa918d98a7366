// The one conversion between absl::Status (our code) and grpc::Status (the wire).
//
// The reason and field payloads of storage/errors.h travel in grpc::Status::error_details()
// as a serialized reserve.v1.ErrorDetail, so any client reads them from the status alone.
#ifndef RESERVE_SERVICES_COMMON_GRPC_STATUS_H_
#define RESERVE_SERVICES_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace reserve {

// Maps the code 1:1 and keeps the message, reason and field. INTERNAL and UNKNOWN (bugs,
// never bad input) are logged here with their detail and sent with a generic message, so
// internals do not leak to callers.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The inverse, for clients: code, message, and the reason/field payloads restored from the
// ErrorDetail (undecodable details are ignored).
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace reserve

#endif  // RESERVE_SERVICES_COMMON_GRPC_STATUS_H_

// Bad bytes on the wire get INVALID_ARGUMENT, not gRPC's INTERNAL.
//
// A request that is not a valid message of its method's type never reaches a handler: gRPC
// answers it itself with INTERNAL (sync methods with no message, async ones "Unable to parse
// request"). This server interceptor notices the request that could not be parsed and
// answers INVALID_ARGUMENT naming the method instead, for every method of every service.
#ifndef RESERVE_SERVICES_COMMON_UNPARSABLE_REQUEST_H_
#define RESERVE_SERVICES_COMMON_UNPARSABLE_REQUEST_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>

namespace reserve {

// Register it before any interceptor that records the final status (metrics).
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
UnparsableRequestInterceptorFactory();

}  // namespace reserve

#endif  // RESERVE_SERVICES_COMMON_UNPARSABLE_REQUEST_H_

// Sends bytes that need not be a valid protobuf message as the request of a unary method, for
// the tests of what servers answer to unreadable requests. Header-only: it needs nothing but
// gRPC, so tests of services/common use it too.
#ifndef RESERVE_TESTS_SUPPORT_RAW_CALL_H_
#define RESERVE_TESTS_SUPPORT_RAW_CALL_H_

#include <memory>
#include <string>

#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

namespace reserve::testing {

// The status `method` answers to `bytes` sent as its request (the response is dropped).
inline grpc::Status CallWithRawBytes(const std::shared_ptr<grpc::Channel>& channel,
                                     grpc::ClientContext& context, const std::string& method,
                                     const std::string& bytes) {
  grpc::GenericStub generic(channel);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
      generic.PrepareUnaryCall(&context, method, request, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response, &status, nullptr);
  void* tag = nullptr;
  bool ok = false;
  if (!cq.Next(&tag, &ok)) return grpc::Status(grpc::StatusCode::UNKNOWN, "no answer");
  return status;
}

}  // namespace reserve::testing

#endif  // RESERVE_TESTS_SUPPORT_RAW_CALL_H_

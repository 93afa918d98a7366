// The connection to `reserved` and the shared pieces of every command: global flags,
// credentials, calls with a deadline and the bearer token, error lines, request ids, and
// the text forms of dates and enums.
#ifndef RESERVE_CLIENTS_RESERVECTL_CLIENT_H_
#define RESERVE_CLIENTS_RESERVECTL_CLIENT_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <chrono>
#include <memory>
#include <string>
#include <tuple>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "reserve/v1/commercial.grpc.pb.h"
#include "reserve/v1/decision.grpc.pb.h"
#include "reserve/v1/financing.grpc.pb.h"
#include "reserve/v1/identity.grpc.pb.h"
#include "reserve/v1/inventory.grpc.pb.h"
#include "services/common/grpc_status.h"

namespace google::protobuf {
class EnumDescriptor;
}

namespace reserve::ctl {

// Exit statuses (clients/README.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the server (or the connection) refused or failed
inline constexpr int kExitUsage = 2;    // bad command line; nothing was sent

inline constexpr absl::string_view kDefaultAddress = "127.0.0.1:50051";
// Per-call deadline unless --timeout-s says otherwise: long enough for a 1,000-lot batch on
// a busy machine, short enough that a dead server is noticed.
inline constexpr int kDefaultTimeoutS = 60;
// Largest response accepted: a backtest of 759 months x 9 metals with its CSV and SVG is a
// few MiB, above gRPC's default of 4 MiB.
inline constexpr int kMaxResponseBytes = 64 << 20;

struct GlobalOptions {
  std::string address = std::string(kDefaultAddress);
  std::string token;
  std::string token_file;
  std::string ca;
  std::string cert;
  std::string key;
  std::string output = "table";
  int timeout_s = kDefaultTimeoutS;
};

class Connection {
 public:
  // Reads the token and TLS files named in `options` and makes the channel (no RPC yet).
  // INVALID_ARGUMENT / NOT_FOUND for unreadable or inconsistent files.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const GlobalOptions& options);

  // The stub of one service, all on the one channel: stub<v1::InventoryService::Stub>().
  template <typename Stub>
  Stub& stub() {
    return *std::get<std::unique_ptr<Stub>>(stubs_);
  }

  // A context with the deadline and token, for streaming calls (WatchEvents). `follow`:
  // no deadline (the stream lasts until the user stops it).
  std::unique_ptr<grpc::ClientContext> StreamContext(bool follow) const;

  // Calls `method` on its service's stub with the deadline and token; the gRPC status
  // converted with FromGrpcStatus (reason and field restored).
  template <typename Stub, typename Req, typename Resp>
  absl::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& request, Resp* response) {
    grpc::ClientContext context;
    Prepare(&context);
    return FromGrpcStatus((stub<Stub>().*method)(&context, request, response));
  }

 private:
  Connection(std::string token, int timeout_s) : token_(std::move(token)), timeout_s_(timeout_s) {}
  void Prepare(grpc::ClientContext* context) const;

  const std::string token_;
  const int timeout_s_;
  std::tuple<std::unique_ptr<v1::InventoryService::Stub>,
             std::unique_ptr<v1::IdentityService::Stub>, std::unique_ptr<v1::DecisionService::Stub>,
             std::unique_ptr<v1::CommercialReserveService::Stub>,
             std::unique_ptr<v1::FinancingService::Stub>>
      stubs_;
};

// "error: FAILED_PRECONDITION (LOT_IN_TRANSIT): lot L-123 is in transit", or
// "error: INVALID_ARGUMENT (field lots[0].pieces): must be at least 1".
std::string ErrorLine(const absl::Status& status);

// A fresh random id shaped like a UUID (8-4-4-4-12 hex), from OpenSSL's RAND_bytes.
std::string NewRequestId();

// "2025-12-31" <-> Date. INVALID_ARGUMENT for anything else.
absl::StatusOr<v1::Date> ParseDate(absl::string_view text);
std::string FormatDate(const v1::Date& date);  // "" for an unset date

// Enum values by their short lower-case name: ParseEnum(ReserveClass_descriptor(),
// "central") == RESERVE_CLASS_CENTRAL; the full name is accepted too. Zero (UNSPECIFIED)
// is never accepted.
absl::StatusOr<int> ParseEnum(const google::protobuf::EnumDescriptor* descriptor,
                              absl::string_view text);
std::string EnumName(const google::protobuf::EnumDescriptor* descriptor, int value);
// The short names accepted, joined with "|", for help text.
std::string EnumChoices(const google::protobuf::EnumDescriptor* descriptor);

}  // namespace reserve::ctl

#endif  // RESERVE_CLIENTS_RESERVECTL_CLIENT_H_

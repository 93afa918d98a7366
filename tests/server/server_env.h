// Shared pieces of the process-level tests: the binary under test, the token table the
// tests write, seeds, and a RemoteLedger / stub factory that sends a bearer token.
#ifndef RESERVE_TESTS_SERVER_SERVER_ENV_H_
#define RESERVE_TESTS_SERVER_SERVER_ENV_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/security/credentials.h"
#include "storage/ledger.h"

namespace reserve::testing {

// Tokens of the table written by WriteTokensFile. Test-only secrets.
inline constexpr absl::string_view kServiceToken = "tok-service-0123456789";
inline constexpr absl::string_view kAdminToken = "tok-admin-0123456789";
inline constexpr absl::string_view kFinanceToken = "tok-finance-0123456789";
inline constexpr absl::string_view kAuditorToken = "tok-auditor-0123456789";
// One principal with every ledger right (service: commit and name principals; admin:
// backup; auditor: verify). The split-mode hop and the conformance client use it.
inline constexpr absl::string_view kAllLedgerToken = "tok-all-ledger-0123456789";

// Writes the server-side token table (`<token> <name> <role>[,<role>...]`) to `path`.
absl::Status WriteTokensFile(const std::string& path);

// The seed for a randomized test: RESERVE_SEED from the environment, else a fresh random
// one. Prints it (to replay: RESERVE_SEED=<seed>).
uint64_t TestSeed();

// A RemoteLedger over a plaintext channel to `address`, sending `token` as a bearer token.
absl::StatusOr<std::unique_ptr<ledger::Ledger>> ConnectLedger(const std::string& address,
                                                              absl::string_view token);

// A channel of its own (not shared with any other channel to the same address, so each
// caller gets its own TCP connection).
std::shared_ptr<grpc::Channel> OwnChannel(
    const std::string& address, std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

// A client context with `token` as bearer token (none when empty) and a generous deadline.
std::unique_ptr<grpc::ClientContext> ContextWithToken(absl::string_view token);

}  // namespace reserve::testing

#endif  // RESERVE_TESTS_SERVER_SERVER_ENV_H_

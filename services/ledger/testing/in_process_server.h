// Test harness: a RocksLedger in a temp dir served by LedgerService on 127.0.0.1:<port 0>
// (with IdentityService) in this process, plus a RemoteLedger connected to it. Lets any Ledger test
// (the conformance suite) run against the remote implementation without spawning processes.
#ifndef RESERVE_SERVICES_LEDGER_TESTING_IN_PROCESS_SERVER_H_
#define RESERVE_SERVICES_LEDGER_TESTING_IN_PROCESS_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/auth.h"
#include "services/common/identity_service.h"
#include "services/ledger/ledger_service.h"
#include "storage/remote/remote_ledger.h"
#include "storage/rocks_ledger.h"

namespace reserve::testing {

// The server's token table. Test-only secrets.
inline constexpr absl::string_view kInProcessAllToken =
    "inproc-all-0123456789";  // service,admin,auditor
inline constexpr absl::string_view kInProcessServiceToken = "inproc-service-0123456789";
inline constexpr absl::string_view kInProcessAdminToken = "inproc-admin-0123456789";
inline constexpr absl::string_view kInProcessAuditorToken = "inproc-auditor-0123456789";
inline constexpr absl::string_view kInProcessFinanceToken = "inproc-finance-0123456789";

struct InProcessServerOptions {
  // false keeps tests fast; the logic under test does not depend on fsync.
  bool sync_writes = false;
};

class InProcessLedgerServer {
 public:
  // Creates the temp dir, opens the ledger, starts the server, connects `remote()` with
  // kInProcessAllToken.
  static absl::StatusOr<std::unique_ptr<InProcessLedgerServer>> Start(
      InProcessServerOptions options = {});

  InProcessLedgerServer(const InProcessLedgerServer&) = delete;
  InProcessLedgerServer& operator=(const InProcessLedgerServer&) = delete;
  // Shuts the server down, closes the ledger, removes the temp dir.
  ~InProcessLedgerServer();

  // "127.0.0.1:<port>".
  const std::string& address() const { return address_; }
  // The ledger behind the server (to set up state or compare).
  ledger::RocksLedger& local() { return *local_; }
  // A client with every ledger right.
  ledger::RemoteLedger& remote() { return *remote_; }
  // Another client sending `token` (empty: none).
  absl::StatusOr<std::unique_ptr<ledger::RemoteLedger>> Connect(absl::string_view token) const;
  // The data directory of the ledger (inside the temp dir).
  std::string data_dir() const { return temp_dir_ + "/data"; }

 private:
  InProcessLedgerServer() = default;

  std::string temp_dir_;
  std::string address_;
  std::unique_ptr<ledger::RocksLedger> local_;
  std::unique_ptr<Authorizer> authorizer_;
  std::unique_ptr<LedgerServiceImpl> service_;
  std::unique_ptr<IdentityServiceImpl> identity_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<ledger::RemoteLedger> remote_;
};

// A Ledger that is a RemoteLedger to its own InProcessLedgerServer, which it owns: what a
// conformance-suite factory returns.
absl::StatusOr<std::unique_ptr<ledger::Ledger>> StartServedRemoteLedger(
    InProcessServerOptions options = {});

}  // namespace reserve::testing

#endif  // RESERVE_SERVICES_LEDGER_TESTING_IN_PROCESS_SERVER_H_

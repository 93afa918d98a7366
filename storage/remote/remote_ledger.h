// RemoteLedger: the Ledger interface over gRPC to a LedgerService (split mode, admin tools).
//
// Every method is one RPC. Statuses come back through FromGrpcStatus, so codes, reasons and
// fields are those of the serving ledger; transport failures are UNAVAILABLE or
// DEADLINE_EXCEEDED. Client-side checks are only those that keep the two implementations
// alike (ValidatePage before a page size is narrowed to the wire's int32).
//
// Thread-safe: gRPC stubs and channels may be shared by any number of threads.
#ifndef RESERVE_STORAGE_REMOTE_REMOTE_LEDGER_H_
#define RESERVE_STORAGE_REMOTE_REMOTE_LEDGER_H_

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "reserve/v1/ledger.grpc.pb.h"
#include "storage/ledger.h"

namespace reserve::ledger {

// The largest message either side sends or accepts: a whole transaction plus framing.
inline constexpr int kMaxRequestMessageBytes = static_cast<int>(kMaxTransactionBytes) + (1 << 20);
// Responses may carry a page of journal entries; pages larger than this fail with
// RESOURCE_EXHAUSTED and should be read with a smaller page size.
inline constexpr int kMaxResponseMessageBytes = 256 << 20;

struct RemoteLedgerOptions {
  std::shared_ptr<grpc::ChannelCredentials> credentials;  // null: insecure (local only)
  std::string bearer_token;                               // empty: none sent
  // Deadlines. Commit waits for a group fsync; Verify and Backup walk the whole store.
  std::chrono::milliseconds call_timeout{30'000};
  std::chrono::milliseconds long_call_timeout{3'600'000};
  // Extra channel arguments (tests: a channel of its own).
  bool own_channel = false;
};

class RemoteLedger final : public Ledger {
 public:
  // Creates the channel to `address` ("host:port"); does not wait for the server (the first
  // call reports UNAVAILABLE if it is not there). INVALID_ARGUMENT for an empty address.
  static absl::StatusOr<std::unique_ptr<RemoteLedger>> Connect(const std::string& address,
                                                               RemoteLedgerOptions options = {});

  RemoteLedger(const RemoteLedger&) = delete;
  RemoteLedger& operator=(const RemoteLedger&) = delete;
  ~RemoteLedger() override;

  absl::StatusOr<Receipt> Commit(const Transaction& tx) override;
  // Over gRPC's callback API: no thread waits; `done` runs on a gRPC thread.
  void CommitAsync(Transaction tx, CommitDone done) override;
  absl::StatusOr<Head> GetHead() override;
  absl::StatusOr<RecordSet> GetRecords(absl::Span<const std::string> keys,
                                       const ReadOptions& options) override;
  absl::StatusOr<RecordPage> ScanRecords(absl::string_view prefix, const Page& page,
                                         const ReadOptions& options) override;
  absl::StatusOr<std::vector<Seq>> RecordHistory(absl::string_view key,
                                                 const ReadOptions& options) override;
  absl::StatusOr<BalanceSet> GetBalances(absl::Span<const std::string> accounts,
                                         const ReadOptions& options) override;
  absl::StatusOr<BalancePage> ScanBalances(absl::string_view prefix, const Page& page,
                                           const ReadOptions& options) override;
  absl::StatusOr<BalanceSet> GetBalancesAsOfDate(absl::Span<const std::string> accounts,
                                                 absl::CivilDay date,
                                                 const ReadOptions& options) override;
  absl::StatusOr<MovementPage> AccountHistory(absl::string_view account, const Page& page,
                                              const ReadOptions& options) override;
  absl::StatusOr<std::vector<JournalEntry>> ReadJournal(Seq from_seq, size_t max_entries) override;
  // The server stream. `stop` is polled (on the calling thread, as is `on_entry`) every
  // kWatchPollInterval while waiting; stopping cancels the RPC.
  absl::Status Watch(Seq from_seq, const WatchCallback& on_entry,
                     const StopPredicate& stop) override;
  absl::StatusOr<VerifyReport> Verify() override;
  absl::StatusOr<Head> Backup(const std::string& directory) override;

  static constexpr std::chrono::milliseconds kWatchPollInterval{50};

 private:
  RemoteLedger(std::shared_ptr<grpc::Channel> channel, RemoteLedgerOptions options);
  std::unique_ptr<grpc::ClientContext> NewContext(std::chrono::milliseconds timeout) const;
  // The GetBalances RPC; as of `date` when it is not null.
  absl::StatusOr<BalanceSet> CallGetBalances(absl::Span<const std::string> accounts,
                                             const absl::CivilDay* date,
                                             const ReadOptions& options);

  const RemoteLedgerOptions options_;
  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<v1::LedgerService::Stub> stub_;
};

}  // namespace reserve::ledger

#endif  // RESERVE_STORAGE_REMOTE_REMOTE_LEDGER_H_

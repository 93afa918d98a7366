// RocksLedger: the in-process Ledger over RocksDB, with group commit.
//
// One writer thread takes the transactions waiting in a bounded queue, validates each
// against the current state plus the effects of the earlier ones in the same group, and
// writes the whole group as one RocksDB WriteBatch (one WAL record). Syncer threads make
// the WAL durable with several fdatasyncs in flight; groups are acknowledged in order once
// durable. Each transaction's outcome is its own: a rejected one writes nothing and does
// not disturb the others. Callers are answered only after their group, and every group
// before it, is durable; reads never see a group before that.
//
// The on-disk format (key layout, encodings) is documented in storage/codec.h.
#ifndef RESERVE_STORAGE_ROCKS_LEDGER_H_
#define RESERVE_STORAGE_ROCKS_LEDGER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "storage/ledger.h"

namespace reserve::ledger {

// Observations the ledger reports to whoever wants them (metrics). Called on a ledger
// thread (the writer or a syncer) once a group is durable, before its callers are
// answered; write_micros runs from the start of its write until then. Must be cheap, must
// not call back into the ledger, and may be called from several threads at once.
struct CommitObserver {
  std::function<void(size_t group_size, int64_t write_micros)> on_group_written;
};

struct RocksLedgerOptions {
  std::string directory;     // created if missing
  bool sync_writes = true;   // false only in tests that measure logic, never in production
  size_t max_queue = 16384;  // waiting transactions; beyond it Commit is RESOURCE_EXHAUSTED
  size_t max_group = 1024;   // transactions per RocksDB write
  // Open checks (see Open): full gap-free scan of the journal keys at start-up.
  bool check_journal_on_open = true;
  CommitObserver observer;
  // Tests only: called by a syncer thread before each WAL sync, after the groups it will
  // cover were written; may block, to hold groups written but not yet durable.
  std::function<void()> test_before_wal_sync;
};

class RocksLedger final : public Ledger {
 public:
  // Opens (or creates) the ledger in options.directory and runs the start-up checks:
  // the head entry and its hash chain link, the journal being gap-free up to the head,
  // the head not being behind the durable witness file (a silently shortened history is
  // refused with DATA_LOSS), and every unit summing to zero. FAILED_PRECONDITION if another
  // process holds the directory.
  static absl::StatusOr<std::unique_ptr<RocksLedger>> Open(RocksLedgerOptions options);

  // Replaces `data_directory` (which must not exist, or be empty) with a copy of the
  // backup in `backup_directory`, and resets the witness to the backup's head: restoring
  // to an older point is an explicit operator act, never a silent one.
  static absl::StatusOr<Head> Restore(const std::string& backup_directory,
                                      const std::string& data_directory);

  RocksLedger(const RocksLedger&) = delete;
  RocksLedger& operator=(const RocksLedger&) = delete;
  // Stops accepting commits, drains the queue (each waiting commit gets its outcome),
  // stops the writer and closes the store.
  ~RocksLedger() override;

  absl::StatusOr<Receipt> Commit(const Transaction& tx) override;
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
  absl::StatusOr<std::vector<JournalEntry>> ReadJournal(Seq from_seq,
                                                        size_t max_entries) override;
  absl::Status Watch(Seq from_seq, const WatchCallback& on_entry,
                     const StopPredicate& stop) override;
  absl::StatusOr<VerifyReport> Verify() override;
  absl::StatusOr<Head> Backup(const std::string& directory) override;

  // Stops accepting new commits (UNAVAILABLE) and waits until every queued one is answered.
  // Idempotent; the destructor calls it.
  void Shutdown();

  // Non-empty once an invariant failed at run time; commits are then refused.
  std::string HaltReason() const;

 private:
  class Impl;
  explicit RocksLedger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace reserve::ledger

#endif  // RESERVE_STORAGE_ROCKS_LEDGER_H_

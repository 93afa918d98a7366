// RocksLedger: see rocks_ledger.h for the contract and storage/codec.h for the format.
//
// Threads: callers validate and hash their transaction, enqueue it and wait. The writer
// thread takes every waiting transaction, validates each against the in-memory account
// map, the store and the overlay of the earlier ones in the same group, builds the group's
// WriteBatch and writes it with db->Write(sync = false) - the WAL record reaches the OS
// (manual_wal_flush = false) but not the disk - and goes straight on with the next group.
// kSyncers syncer threads make written groups durable: each loop notes the last group
// written, fdatasyncs every WAL file that may hold unsynced data through the ledger's own
// file descriptors, then marks everything written before the sync began as durable. Several
// syncs are in flight at once (overlapping fdatasyncs are ~8x faster on our disks than
// serial ones). Groups are acknowledged strictly in order once durable: the head is
// published, watchers woken, callers answered. A witness thread rewrites the WITNESS file
// (a durable head) at most every 100 ms. Readers read RocksDB directly at a sequence number
// no higher than the published (durable) head, using the per-seq history keys, so they
// never see a half-applied, or written but not yet durable, group and need no snapshot.
#include "storage/rocks_ledger.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/memory/memory.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/perf_level.h"
#include "rocksdb/rate_limiter.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/transaction_log.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"
#include "storage/codec.h"
#include "storage/errors.h"

namespace reserve::ledger {
namespace {

namespace fs = std::filesystem;

// How often the witness may be rewritten: bounds the fsyncs it costs, and how far it lags.
constexpr absl::Duration kWitnessInterval = absl::Milliseconds(100);
// How often a waiting Watch polls its stop predicate.
constexpr absl::Duration kWatchPoll = absl::Milliseconds(100);
// Journal entries a Watch reads per batch while catching up.
constexpr size_t kWatchBatch = 256;
// One group's WriteBatch stays below this, so a burst of large transactions cannot make
// one write (and its memory) unbounded.
constexpr size_t kMaxGroupBytes = 64 << 20;
// See DbOptions: the bound on flush and compaction writes.
constexpr int64_t kBackgroundWriteBytesPerSecond = 64 << 20;
// Block cache for all reads; the working set is the recent history and the account keys.
constexpr size_t kBlockCacheBytes = 64 << 20;
// Syncer threads, i.e. WAL fdatasyncs in flight at once. On the target VM disk one
// pwrite+fdatasync loop alone takes ~4 ms per sync while 2-4 overlapping ones take
// ~0.4-0.5 ms each. In the ledger under load a sync took ~2 ms on average and ~1-2 were in
// flight (a sync starts only once something new was written), so 3 leaves headroom; each
// thread costs a stack and one file descriptor per WAL file.
constexpr int kSyncers = 3;
constexpr char kWitnessFile[] = "WITNESS";
constexpr absl::string_view kWitnessMagic = "reserve-witness 1";

__extension__ typedef __int128 Int128;  // checked sums (see storage/exact.h)
constexpr Int128 kI64Min = std::numeric_limits<int64_t>::min();
constexpr Int128 kI64Max = std::numeric_limits<int64_t>::max();

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  std::string msg = absl::StrCat(what, ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsIOError() && absl::StrContains(s.ToString(), "lock")) {
    return absl::FailedPreconditionError(
        absl::StrCat(msg, " (is another process using this data directory?)"));
  }
  if (s.IsIOError() || s.IsBusy() || s.IsTryAgain() || s.IsShutdownInProgress()) {
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

rocksdb::Slice ToSlice(absl::string_view v) { return rocksdb::Slice(v.data(), v.size()); }

std::string Hex(absl::string_view bytes) { return absl::BytesToHexString(bytes); }

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// ---- page tokens: hex(kind:u8, as_of_seq:u64, cursor bytes) ----
struct Cursor {
  Seq as_of_seq = 0;
  std::string after;  // resume strictly after this key part
};

std::string EncodeToken(char kind, Seq as_of_seq, absl::string_view after) {
  std::string raw(1, kind);
  codec::PutU64(&raw, as_of_seq);
  raw.append(after.data(), after.size());
  return Hex(raw);
}

absl::StatusOr<std::optional<Cursor>> DecodeToken(char kind, const Page& page, Seq head,
                                                  Seq at_seq) {
  if (absl::Status s = ValidatePage(page); !s.ok()) return s;
  if (page.page_token.empty()) return std::optional<Cursor>();
  absl::Status bad = InvalidField("page_token", "not a token this ledger issued for this read");
  if (!IsLowerHex(page.page_token)) return bad;
  std::string raw = absl::HexStringToBytes(page.page_token);
  codec::Reader r(raw);
  uint8_t k;
  Cursor c;
  absl::string_view after;
  if (!r.GetU8(&k) || k != static_cast<uint8_t>(kind) || !r.GetU64(&c.as_of_seq) ||
      !r.GetBytes(r.remaining(), &after) || c.as_of_seq == 0 || c.as_of_seq > head) {
    return bad;
  }
  if (at_seq != 0 && at_seq != c.as_of_seq) {
    return InvalidField("page_token", "issued for another at_seq");
  }
  c.after = std::string(after);
  return std::optional<Cursor>(std::move(c));
}

// ---- witness file ----
absl::StatusOr<std::optional<Head>> ReadWitness(const std::string& dir) {
  fs::path path = fs::path(dir) / kWitnessFile;
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::optional<Head>();
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  std::vector<std::string> lines = absl::StrSplit(buf.str(), '\n', absl::SkipEmpty());
  Head head;
  if (lines.size() != 3 || lines[0] != kWitnessMagic || !absl::SimpleAtoi(lines[1], &head.seq) ||
      lines[2].size() != 2 * codec::kHashBytes || !IsLowerHex(lines[2])) {
    return absl::DataLossError(absl::StrCat("unreadable witness file ", path.string()));
  }
  head.hash = absl::HexStringToBytes(lines[2]);
  return std::optional<Head>(head);
}

absl::Status SyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("open ", path));
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok ? absl::OkStatus() : absl::UnavailableError(absl::StrCat("fsync ", path));
}

// Atomically replaces dir/WITNESS: write a temp file, fsync it, rename, fsync the directory.
absl::Status WriteWitness(const std::string& dir, const Head& head) {
  std::string path = (fs::path(dir) / kWitnessFile).string();
  std::string tmp = path + ".tmp";
  std::string text = absl::StrCat(kWitnessMagic, "\n", head.seq, "\n", Hex(head.hash), "\n");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("create ", tmp));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("write ", path));
  }
  return SyncPath(dir, O_RDONLY | O_DIRECTORY);
}

// Memtable insert hints (RocksDB's memtable_insert_with_hint_prefix_extractor): keys that
// share a "hint prefix" are inserted next to the previous one of that prefix, so the skip
// list search starts from there instead of the top. Our keys grow that way: journal keys
// (J<seq>) always append; the history keys of one account (H<account>\0<seq>,
// D<account>\0<day><seq>) mostly append; a new version of an account key (A<account>) lands
// right beside the last. Record, version and request keys arrive in no useful order and take
// the ordinary path. The writer is the only thread inserting (see
// allow_concurrent_memtable_write below), which hints require.
class HintPrefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "reserve.HintPrefix"; }
  bool InDomain(const rocksdb::Slice& key) const override {
    if (key.empty()) return false;
    switch (key[0]) {
      case codec::kJournalPrefix:
      case codec::kAccountPrefix:
        return true;
      case codec::kHistoryPrefix:
      case codec::kDatedPrefix:
        return std::memchr(key.data(), '\0', key.size()) != nullptr;
      default:
        return false;
    }
  }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    switch (key[0]) {
      case codec::kJournalPrefix:
        return rocksdb::Slice(key.data(), 1);
      case codec::kAccountPrefix:
        return key;
      default: {  // H or D: the account and its '\0'
        const char* end = static_cast<const char*>(std::memchr(key.data(), '\0', key.size()));
        return rocksdb::Slice(key.data(), static_cast<size_t>(end - key.data()) + 1);
      }
    }
  }
};

rocksdb::Options DbOptions() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.manual_wal_flush = false;
  options.IncreaseParallelism(2);
  // One writer thread: no concurrent memtable inserts to coordinate, and insert hints work.
  options.allow_concurrent_memtable_write = false;
  options.memtable_insert_with_hint_prefix_extractor = std::make_shared<HintPrefix>();
  // Most point reads in the commit path miss (a new request id, a new record): a memtable
  // bloom filter answers those without walking the skip list.
  options.memtable_prefix_bloom_size_ratio = 0.02;
  options.memtable_whole_key_filtering = true;
  // 64 MiB memtables (RocksDB's default): each switch starts a new WAL, whose directory entry
  // the syncers must make durable, and a flush that competes with the WAL syncs for the disk.
  // Measured at 64 committers (ledger_bench, with the settings below, medians of 4 runs):
  // p99 8.5 ms with 16 MiB, 7.7 ms with 64 MiB, at the same throughput.
  options.write_buffer_size = 64 << 20;
  // Table files are written out 1 MiB at a time as they are built, instead of all at once
  // when closed, so a flush does not queue megabytes in front of a WAL sync.
  options.bytes_per_sync = 1 << 20;
  // Flushes and compactions write at most 64 MiB/s, in 10 ms slices: a WAL sync waits for
  // the disk behind whatever else was queued, and unthrottled background writes made the
  // slowest syncs (and so the commit p99) several times the median. 64 MiB/s is several
  // times what the commit path produces at its peak (~20 MiB/s of WAL at 5,000
  // acquisitions/s), so flushes keep up.
  options.rate_limiter.reset(rocksdb::NewGenericRateLimiter(kBackgroundWriteBytesPerSecond,
                                                            /*refill_period_us=*/10'000));
  // No compression where data is young (L0, the flushed memtables, and L1): flushes and the
  // first compaction run on the same two cores as the commits, and snappy was ~10% of the
  // server's CPU under acquisition load. Older levels, most of the bytes, stay compressed.
  options.compression_per_level.assign(options.num_levels, rocksdb::kSnappyCompression);
  options.compression_per_level[0] = rocksdb::kNoCompression;
  options.compression_per_level[1] = rocksdb::kNoCompression;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  // Whole-key bloom filters: every point read (A, R, Q, J keys) is an exact key.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

// The head stored in a closed store (used for backups and restores).
absl::StatusOr<Head> ReadStoredHead(const std::string& dir) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(DbOptions(), dir, &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("open ", dir, " read-only"));
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string value;
  s = db->Get(rocksdb::ReadOptions(), ToSlice(codec::kHeadKey), &value);
  if (s.IsNotFound()) return Head{0, codec::ZeroHash()};
  if (!s.ok()) return FromRocks(s, "read head");
  return codec::DecodeHead(value);
}

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

// RocksDB's name for WAL number `number` in `dir` (db/filename.cc: "%06llu.log").
std::string WalPath(const std::string& dir, uint64_t number) {
  std::string digits = absl::StrCat(number);
  if (digits.size() < 6) digits.insert(0, 6 - digits.size(), '0');
  return absl::StrCat(dir, "/", digits, ".log");
}

}  // namespace

class RocksLedger::Impl {
 public:
  explicit Impl(RocksLedgerOptions options) : options_(std::move(options)) {}
  ~Impl() { Shutdown(); }

  absl::Status Start();
  absl::StatusOr<Receipt> Commit(const Transaction& tx);
  void CommitAsync(Transaction tx, CommitDone done);
  Head GetHead() {
    absl::MutexLock l(&mu_);
    return head_;
  }
  absl::StatusOr<RecordSet> GetRecords(absl::Span<const std::string> keys,
                                       const ReadOptions& options);
  absl::StatusOr<RecordPage> ScanRecords(absl::string_view prefix, const Page& page,
                                         const ReadOptions& options);
  absl::StatusOr<std::vector<Seq>> RecordHistory(absl::string_view key, const ReadOptions& options);
  absl::StatusOr<BalanceSet> GetBalances(absl::Span<const std::string> accounts,
                                         const ReadOptions& options);
  absl::StatusOr<BalancePage> ScanBalances(absl::string_view prefix, const Page& page,
                                           const ReadOptions& options);
  absl::StatusOr<BalanceSet> GetBalancesAsOfDate(absl::Span<const std::string> accounts,
                                                 absl::CivilDay date, const ReadOptions& options);
  absl::StatusOr<MovementPage> AccountHistory(absl::string_view account, const Page& page,
                                              const ReadOptions& options);
  absl::StatusOr<std::vector<JournalEntry>> ReadJournal(Seq from_seq, size_t max_entries);
  absl::Status Watch(Seq from_seq, const WatchCallback& on_entry, const StopPredicate& stop);
  absl::StatusOr<VerifyReport> Verify();
  absl::StatusOr<Head> Backup(const std::string& directory);
  void Shutdown();
  std::string HaltReason() const {
    absl::MutexLock l(&mu_);
    return halt_reason_;
  }

 private:
  // One commit in flight. Commit keeps it on its stack and waits for `done`; CommitAsync
  // allocates it with the transaction it owns, and Answer deletes it after `on_done`.
  struct Pending {
    const Transaction* tx = nullptr;
    std::string tx_bytes;  // canonical encoding
    std::string digest;    // SHA-256 of tx_bytes
    absl::StatusOr<Receipt> result;
    absl::Notification done;           // Commit
    std::unique_ptr<Transaction> owned;  // CommitAsync
    CommitDone on_done;                  // CommitAsync
  };
  // Hands `p->result` to whoever waits for it; `p` is gone afterwards when async.
  static void Answer(Pending* p);
  // Validates and encodes `p->tx` and queues it for the writer, or says why not.
  absl::Status Enqueue(Pending* p);

  // In-memory account state (writer thread only, after Start).
  struct AccountState {
    std::string unit;
    bool non_negative = false;
    int64_t balance = 0;
    Seq last_seq = 0;
    Seq opened_seq = 0;
  };

  // Effects of the transactions accepted earlier in the group being built.
  struct GroupOverlay {
    // Records written by the transactions accepted so far, with the write (owned by its
    // Pending, which outlives the group's preparation) and its sequence number.
    absl::flat_hash_map<std::string, std::pair<Seq, const RecordWrite*>> records;
    absl::flat_hash_map<std::string, std::pair<std::string, Receipt>> requests;
  };

  // A record as it stands before the transaction being applied: stored, or written earlier in
  // the same group. `present` is false for a key never written.
  struct PriorRecord {
    bool present = false;
    Seq version = 0;  // the seq of its last write (an erase too)
    bool erased = false;
    std::string value;
    // The version a writer compares against: 0 when absent or erased.
    Seq live_version() const { return present && !erased ? version : 0; }
  };

  // One account touched by the transaction being validated.
  struct Change {
    absl::string_view id;
    AccountState* existing = nullptr;     // null for an account opened by this tx
    const AccountSpec* opened = nullptr;  // set when this tx opens it
    Int128 delta = 0;
    bool posted = false;
    int64_t balance_after = 0;
    const std::string* stored_id = nullptr;  // the account map's key, when `existing`
    const std::string& unit() const { return existing ? existing->unit : opened->unit; }
    bool guarded() const { return existing ? existing->non_negative : opened->non_negative; }
  };

  // ---- start-up ----
  absl::Status OpenDb();
  absl::Status CheckFormat();
  absl::Status CheckHeadAndWitness(const Head& head);
  absl::Status CheckJournalKeys(Seq head_seq);
  absl::Status LoadAccounts();

  // ---- writer ----
  // A group whose WriteBatch is built; immutable once written.
  struct PreparedGroup {
    std::vector<Pending*> members;
    rocksdb::WriteBatch batch;
    GroupOverlay overlay;
    // Accounts posted to or opened by the group's transactions; their A keys are written once
    // per group, with the state after its last transaction (WriteGroup).
    absl::flat_hash_map<absl::string_view, const AccountState*> dirty_accounts;
    // The same accounts' state after the group, for the published view (Publish).
    std::vector<std::pair<std::string, AccountState>> account_states;
    size_t accepted = 0;
    size_t bytes = 0;    // encoded transactions
    Head head;           // the head after this group (when accepted > 0)
    absl::Status fatal;  // the store failed while preparing
    // Durable once durable_writes_ >= need: the number of db->Write calls done up to and
    // including this group's own (a group with nothing accepted needs only the earlier ones).
    uint64_t need = 0;
    absl::Time start;  // when the writer began writing it (for the observer)
  };
  using Groups = std::vector<std::shared_ptr<PreparedGroup>>;

  // One WAL file a syncer may have to fdatasync; each syncer keeps its own descriptors
  // (file descriptions), so a writeback error is reported to every syncer that covers it.
  struct WalState {
    bool dir_synced = false;  // its directory entry is durable
  };

  void WriterLoop();
  void SyncerLoop();
  void WitnessLoop();
  void AppendToGroup(PreparedGroup* group, const std::vector<Pending*>& arrivals);
  // Writes a prepared group (sync = false) and hands it to the durability stage.
  void WriteGroup(std::shared_ptr<PreparedGroup> group);
  // Takes the groups that are durable, in order, and publishes the head of the last one.
  Groups TakeDurable() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Answers the callers of groups taken by TakeDurable (outside mu_).
  void Acknowledge(const Groups& groups);
  // fdatasyncs every WAL file that may hold data written before the call.
  absl::Status SyncWals(std::map<uint64_t, int>* fds);
  // Records the live WAL as one the syncers must cover (and any WAL files between it and
  // the last one seen).
  absl::StatusOr<uint64_t> NoteLiveWal();
  // Makes the WAL files left by an earlier process durable (their tail may still be only in
  // the page cache after a crash of that process), before anything is read or built on it.
  absl::Status SyncExistingWals();
  void FailGroup(const std::vector<Pending*>& group, absl::string_view why);
  // Applies one transaction to the batch and overlay, or rejects it leaving both untouched.
  // Sets *fatal when the store itself failed (the ledger then halts).
  absl::StatusOr<Receipt> Apply(const Pending& p, PreparedGroup* group);
  absl::StatusOr<std::optional<Receipt>> CheckRequestId(const Pending& p, GroupOverlay* overlay);
  absl::Status CollectChanges(const Transaction& tx, std::vector<Change>* changes);
  absl::Status CheckBalances(std::vector<Change>* changes);
  // Checks every write's and check's expected version; fills `priors` (one per write) with
  // the state each write replaces.
  absl::Status CheckVersions(const Transaction& tx, const GroupOverlay& overlay,
                             std::vector<PriorRecord>* priors, absl::Status* fatal);
  absl::StatusOr<PriorRecord> Prior(const std::string& key, const GroupOverlay& overlay);
  // Halts the ledger: later commits are refused and every written but not yet acknowledged
  // group is failed (its outcome is unknown to its callers: LEDGER_HALTED).
  void Halt(absl::string_view reason) ABSL_LOCKS_EXCLUDED(mu_);

  // ---- reads of the published account view (no store access) ----
  // The balances of `ids`, when the read is at the view's seq (at_seq 0 or equal to it).
  std::optional<BalanceSet> ViewBalances(absl::Span<const std::string> ids,
                                         const ReadOptions& options);
  // One page of ScanBalances, when the read (or the page token's pinned seq) is at the
  // view's seq. `cursor` is the decoded page token.
  std::optional<BalancePage> ViewScan(absl::string_view prefix, const Page& page,
                                      const ReadOptions& options,
                                      const std::optional<Cursor>& cursor);
  static Balance ViewBalance(const std::string& id, const AccountState& a) {
    return Balance{id, a.unit, a.non_negative, a.balance, a.last_seq, true};
  }

  // ---- reads (callers hold db_mu_ shared) ----
  absl::StatusOr<Seq> ResolveSeq(const ReadOptions& options);
  absl::StatusOr<std::optional<std::string>> Get(const rocksdb::ReadOptions& ro,
                                                 absl::string_view key);
  absl::StatusOr<Receipt> ReceiptAt(Seq seq);
  absl::StatusOr<Record> RecordAt(const std::string& key, std::optional<std::string> current,
                                  Seq at);
  absl::StatusOr<Balance> BalanceAt(const std::string& account, std::optional<std::string> current,
                                    Seq at);
  // The value of the last key `prefix + seq` with seq <= at, if any.
  absl::StatusOr<std::optional<std::pair<Seq, std::string>>> LastAtOrBefore(
      const std::string& prefix, Seq at);
  absl::StatusOr<Balance> DatedBalance(const std::string& account, absl::CivilDay date, Seq at);
  // Records and accounts are read alike (a batch of ids, or a paged prefix scan, at one seq);
  // a family names the parts in which they differ, so each read is written once.
  struct RecordFamily;
  struct AccountFamily;
  template <typename F>
  absl::StatusOr<typename F::Set> GetCurrent(absl::Span<const std::string> ids,
                                             const ReadOptions& options);
  template <typename F>
  absl::StatusOr<typename F::PageOf> ScanCurrent(absl::string_view prefix, const Page& page,
                                                 const ReadOptions& options);

  const RocksLedgerOptions options_;

  // Open from Start until Shutdown. The writer and witness threads use it without db_mu_
  // (they are joined before it closes); readers hold db_mu_ shared and check for null.
  absl::Mutex db_mu_;
  std::unique_ptr<rocksdb::DB> db_;

  mutable absl::Mutex mu_;
  absl::CondVar queue_cv_;    // the writer waits for work
  absl::CondVar head_cv_;     // watchers wait for new entries
  absl::CondVar witness_cv_;  // the witness thread sleeps between rewrites
  std::deque<Pending*> queue_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  std::string halt_reason_ ABSL_GUARDED_BY(mu_);
  Head head_ ABSL_GUARDED_BY(mu_);
  std::atomic<Seq> committed_seq_{0};

  // Every account as of the published head (view_seq_), in id order: current balances are
  // read from memory. Updated with each acknowledged group's accounts (TakeDurable).
  mutable absl::Mutex view_mu_ ABSL_ACQUIRED_AFTER(mu_);
  absl::btree_map<std::string, AccountState> view_ ABSL_GUARDED_BY(view_mu_);
  Seq view_seq_ ABSL_GUARDED_BY(view_mu_) = 0;

  // Writer-thread state (Start sets it up before the writer starts).
  absl::node_hash_map<std::string, AccountState> accounts_;
  Seq next_seq_ = 1;
  std::string last_hash_;
  int64_t last_ms_ = 0;

  // Durability stage. Every count is of db->Write calls since Start.
  absl::CondVar sync_cv_;  // syncers wait for written groups
  // Written (or empty) groups not yet answered, in order.
  std::deque<std::shared_ptr<PreparedGroup>> unacked_ ABSL_GUARDED_BY(mu_);
  uint64_t writes_done_ ABSL_GUARDED_BY(mu_) = 0;       // writes that returned
  uint64_t sync_started_for_ ABSL_GUARDED_BY(mu_) = 0;  // writes covered by a started sync
  uint64_t durable_writes_ ABSL_GUARDED_BY(mu_) = 0;    // writes covered by a finished sync
  bool writer_done_ ABSL_GUARDED_BY(mu_) = false;

  // WAL files that may hold data no finished sync covered, by log number.
  absl::Mutex wal_mu_;
  std::map<uint64_t, WalState> wals_ ABSL_GUARDED_BY(wal_mu_);
  uint64_t last_wal_seen_ ABSL_GUARDED_BY(wal_mu_) = 0;

  Head witnessed_;  // witness thread only (and Shutdown after joining it)
  std::thread writer_;
  std::vector<std::thread> syncers_;
  std::thread witness_thread_;

  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

// ===================================================================== start-up

absl::Status RocksLedger::Impl::OpenDb() {
  std::error_code ec;
  fs::create_directories(options_.directory, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create ", options_.directory, ": ", ec.message()));
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(DbOptions(), options_.directory, &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("open ", options_.directory));
  db_.reset(raw);
  return absl::OkStatus();
}

absl::Status RocksLedger::Impl::CheckFormat() {
  absl::StatusOr<std::optional<std::string>> format =
      Get(rocksdb::ReadOptions(), codec::kFormatKey);
  if (!format.ok()) return format.status();
  if (!format->has_value()) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    it->SeekToFirst();
    if (it->Valid()) return absl::DataLossError("store has data but no format version");
    std::string v;
    codec::PutU32(&v, codec::kFormatVersion);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    rocksdb::Status s = db_->Put(wo, ToSlice(codec::kFormatKey), v);
    return s.ok() ? absl::OkStatus() : FromRocks(s, "write format version");
  }
  codec::Reader r(**format);
  uint32_t version = 0;
  if (!r.GetU32(&version) || !r.done()) return absl::DataLossError("corrupt format version");
  if (version < codec::kOldestReadableFormat || version > codec::kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat("store format ", version, " is not ",
                                                      codec::kOldestReadableFormat, "..",
                                                      codec::kFormatVersion));
  }
  if (version < codec::kFormatVersion) {
    // Everything this version reads was written alike by the older one; record the new
    // version before writing anything, so the older binary refuses the store from now on.
    std::string v;
    codec::PutU32(&v, codec::kFormatVersion);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    rocksdb::Status s = db_->Put(wo, ToSlice(codec::kFormatKey), v);
    if (!s.ok()) return FromRocks(s, "upgrade format version");
  }
  return absl::OkStatus();
}

absl::Status RocksLedger::Impl::CheckHeadAndWitness(const Head& head) {
  rocksdb::ReadOptions ro;
  // The last journal key must be the head.
  std::string lower(1, codec::kJournalPrefix), upper(1, codec::kJournalPrefix + 1);
  rocksdb::Slice lo(lower), up(upper);
  ro.iterate_lower_bound = &lo;
  ro.iterate_upper_bound = &up;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  it->SeekToLast();
  Seq last = 0;
  if (it->Valid()) {
    if (it->key().size() != 9) return absl::DataLossError("malformed journal key");
    last = codec::TrailingSeq(absl::string_view(it->key().data(), it->key().size()));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read journal end");
  if (last != head.seq) {
    return absl::DataLossError(
        absl::StrCat("journal ends at ", last, " but the head record says ", head.seq));
  }
  if (head.seq > 0) {
    absl::StatusOr<std::optional<std::string>> v =
        Get(rocksdb::ReadOptions(), codec::JournalKey(head.seq));
    if (!v.ok()) return v.status();
    const std::string v_bytes = v->value_or("");  // the view below points into it
    absl::StatusOr<codec::JournalView> e = codec::SplitJournalValue(v_bytes);
    if (!e.ok())
      return absl::DataLossError(absl::StrCat("journal entry ", head.seq, ": undecodable"));
    std::string hash =
        codec::EntryHash(e->prev_hash, e->seq, e->committed_at_ms, codec::Sha256(e->tx_bytes));
    if (e->seq != head.seq || hash != e->hash || hash != head.hash) {
      return absl::DataLossError(absl::StrCat("journal entry ", head.seq, ": hash mismatch"));
    }
    std::string prev_hash = codec::ZeroHash();
    if (head.seq > 1) {
      absl::StatusOr<std::optional<std::string>> pv =
          Get(rocksdb::ReadOptions(), codec::JournalKey(head.seq - 1));
      if (!pv.ok()) return pv.status();
      const std::string pv_bytes = pv->value_or("");  // the view below points into it
      absl::StatusOr<codec::JournalView> p = codec::SplitJournalValue(pv_bytes);
      if (!p.ok()) {
        return absl::DataLossError(absl::StrCat("journal entry ", head.seq - 1, ": undecodable"));
      }
      prev_hash = std::string(p->hash);
    }
    if (e->prev_hash != prev_hash) {
      return absl::DataLossError(
          absl::StrCat("journal entry ", head.seq, ": does not link to entry ", head.seq - 1));
    }
    last_ms_ = e->committed_at_ms;
  }
  absl::StatusOr<std::optional<Head>> witness = ReadWitness(options_.directory);
  if (!witness.ok()) return witness.status();
  if (!witness->has_value()) return absl::OkStatus();
  const Head& w = **witness;
  witnessed_ = w;
  if (w.seq > head.seq) {
    return absl::DataLossError(absl::StrCat("journal head ", head.seq, " is behind the witness at ",
                                            w.seq, ": the history was shortened"));
  }
  if (w.seq == 0) return absl::OkStatus();
  absl::StatusOr<std::optional<std::string>> wv =
      Get(rocksdb::ReadOptions(), codec::JournalKey(w.seq));
  if (!wv.ok()) return wv.status();
  const std::string wv_bytes = wv->value_or("");  // the view below points into it
  absl::StatusOr<codec::JournalView> we = codec::SplitJournalValue(wv_bytes);
  if (!we.ok() || we->hash != w.hash) {
    return absl::DataLossError(absl::StrCat("journal entry ", w.seq,
                                            " differs from the witness (witness seq ", w.seq,
                                            ", journal head ", head.seq, ")"));
  }
  return absl::OkStatus();
}

absl::Status RocksLedger::Impl::CheckJournalKeys(Seq head_seq) {
  rocksdb::ReadOptions ro;
  std::string lower(1, codec::kJournalPrefix), upper(1, codec::kJournalPrefix + 1);
  rocksdb::Slice lo(lower), up(upper);
  ro.iterate_lower_bound = &lo;
  ro.iterate_upper_bound = &up;
  ro.fill_cache = false;
  ro.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  Seq expected = 1;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
    rocksdb::Slice k = it->key();
    Seq seq = k.size() == 9 ? codec::TrailingSeq(absl::string_view(k.data(), k.size())) : 0;
    if (seq != expected) {
      return absl::DataLossError(
          absl::StrCat("journal has a gap: entry ", expected, " is missing (next key ", seq, ")"));
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan journal keys");
  if (expected - 1 != head_seq) {
    return absl::DataLossError(
        absl::StrCat("journal holds ", expected - 1, " entries but the head is ", head_seq));
  }
  return absl::OkStatus();
}

absl::Status RocksLedger::Impl::LoadAccounts() {
  rocksdb::ReadOptions ro;
  std::string lower(1, codec::kAccountPrefix), upper(1, codec::kAccountPrefix + 1);
  rocksdb::Slice lo(lower), up(upper);
  ro.iterate_lower_bound = &lo;
  ro.iterate_upper_bound = &up;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  absl::flat_hash_map<std::string, Int128> unit_sums;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    absl::string_view key(it->key().data(), it->key().size());
    absl::StatusOr<codec::AccountValue> a =
        codec::DecodeAccount(absl::string_view(it->value().data(), it->value().size()));
    if (!a.ok()) {
      return absl::DataLossError(
          absl::StrCat("account ", key.substr(1), ": ", a.status().message()));
    }
    unit_sums[a->unit] += a->balance;
    accounts_[key.substr(1)] =
        AccountState{a->unit, a->non_negative, a->balance, a->last_seq, a->opened_seq};
  }
  if (!it->status().ok()) return FromRocks(it->status(), "load accounts");
  for (const auto& [unit, sum] : unit_sums) {
    if (sum != 0) {
      return absl::DataLossError(absl::StrCat("balances of unit ", unit, " do not sum to zero"));
    }
  }
  return absl::OkStatus();
}

absl::Status RocksLedger::Impl::Start() {
  if (absl::Status s = OpenDb(); !s.ok()) return s;
  if (absl::Status s = CheckFormat(); !s.ok()) return s;
  if (absl::Status s = SyncExistingWals(); !s.ok()) return s;
  absl::StatusOr<std::optional<std::string>> hv = Get(rocksdb::ReadOptions(), codec::kHeadKey);
  if (!hv.ok()) return hv.status();
  Head head{0, codec::ZeroHash()};
  if (hv->has_value()) {
    absl::StatusOr<Head> decoded = codec::DecodeHead(**hv);
    if (!decoded.ok()) return decoded.status();
    head = *decoded;
  }
  if (absl::Status s = CheckHeadAndWitness(head); !s.ok()) return s;
  if (options_.check_journal_on_open) {
    if (absl::Status s = CheckJournalKeys(head.seq); !s.ok()) return s;
  }
  if (absl::Status s = LoadAccounts(); !s.ok()) return s;
  {
    absl::WriterMutexLock l(&view_mu_);
    view_.insert(accounts_.begin(), accounts_.end());
    view_seq_ = head.seq;
  }
  next_seq_ = head.seq + 1;
  last_hash_ = head.hash;
  {
    absl::MutexLock l(&mu_);
    head_ = head;
  }
  committed_seq_.store(head.seq, std::memory_order_release);
  if (options_.sync_writes) {
    for (int i = 0; i < kSyncers; ++i) {
      syncers_.emplace_back([this] {
        pthread_setname_np(pthread_self(), "ledger-sync");
            SyncerLoop();
      });
    }
  }
  writer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "ledger-writer");
    // No per-thread perf counters on the hot thread (RocksDB counts every key comparison
    // through a thread-local otherwise).
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    WriterLoop();
  });
  witness_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "ledger-witness");
    WitnessLoop();
  });
  return absl::OkStatus();
}

// ===================================================================== commit

absl::Status RocksLedger::Impl::Enqueue(Pending* p) {
  if (absl::Status s = ValidateShape(*p->tx); !s.ok()) return s;
  p->tx_bytes = codec::EncodeTransaction(*p->tx);
  p->digest = codec::Sha256(p->tx_bytes);
  absl::MutexLock l(&mu_);
  if (!halt_reason_.empty()) {
    return Rejection(absl::StatusCode::kUnavailable, reason::kLedgerHalted,
                     absl::StrCat("ledger halted: ", halt_reason_));
  }
  if (closing_) return absl::UnavailableError("ledger is shutting down");
  if (queue_.size() >= options_.max_queue) {
    return Rejection(absl::StatusCode::kResourceExhausted, reason::kQueueFull,
                     absl::StrCat("more than ", options_.max_queue, " commits waiting"));
  }
  queue_.push_back(p);
  queue_cv_.Signal();
  return absl::OkStatus();
}

void RocksLedger::Impl::Answer(Pending* p) {
  if (!p->on_done) {
    p->done.Notify();
    return;
  }
  CommitDone done = std::move(p->on_done);
  absl::StatusOr<Receipt> result = std::move(p->result);
  delete p;
  done(std::move(result));
}

absl::StatusOr<Receipt> RocksLedger::Impl::Commit(const Transaction& tx) {
  Pending p;
  p.tx = &tx;
  if (absl::Status s = Enqueue(&p); !s.ok()) return s;
  p.done.WaitForNotification();
  return std::move(p.result);
}

void RocksLedger::Impl::CommitAsync(Transaction tx, CommitDone done) {
  auto p = std::make_unique<Pending>();
  p->owned = std::make_unique<Transaction>(std::move(tx));
  p->tx = p->owned.get();
  p->on_done = std::move(done);  // before it is queued: the writer may answer at once
  if (absl::Status s = Enqueue(p.get()); !s.ok()) {
    p->on_done(s);
    return;
  }
  p.release();  // the writer owns it now; Answer deletes it
}

// Stage 1 (writer_): takes every waiting transaction off the queue, validates and applies
// them into one group, writes it (sync = false) and hands it to the durability stage
// without waiting for it. A group is validated against the store, which already holds
// every earlier group (written, perhaps not yet durable), plus its own overlay.
void RocksLedger::Impl::WriterLoop() {
  for (;;) {
    std::vector<Pending*> arrivals;
    std::string halted;
    {
      absl::MutexLock l(&mu_);
      while (queue_.empty() && !closing_) queue_cv_.Wait(&mu_);
      halted = halt_reason_;
      size_t bytes = 0;
      while (!queue_.empty() && arrivals.size() < options_.max_group &&
             (arrivals.empty() || bytes + queue_.front()->tx_bytes.size() <= kMaxGroupBytes)) {
        bytes += queue_.front()->tx_bytes.size();
        arrivals.push_back(queue_.front());
        queue_.pop_front();
      }
      if (arrivals.empty()) {  // closing and drained: the syncers finish what was written
        writer_done_ = true;
        sync_cv_.SignalAll();
        return;
      }
    }
    if (!halted.empty()) {
      FailGroup(arrivals, absl::StrCat("ledger halted: ", halted));
      continue;
    }
    auto group = std::make_shared<PreparedGroup>();
    group->start = absl::Now();
    AppendToGroup(group.get(), arrivals);
    if (!group->fatal.ok()) {
      // Accepted transactions of this group changed the in-memory state but reached no
      // store: nothing may be built on it, so the ledger halts.
      Halt(group->fatal.ToString());
      FailGroup(group->members, absl::StrCat("ledger halted: ", group->fatal.ToString()));
      continue;
    }
    WriteGroup(std::move(group));
  }
}

void RocksLedger::Impl::WriteGroup(std::shared_ptr<PreparedGroup> group) {
  const bool wrote = group->accepted > 0;
  if (wrote) {
    group->head = Head{next_seq_ - 1, last_hash_};
    group->account_states.reserve(group->dirty_accounts.size());
    for (const auto& [id, state] : group->dirty_accounts) {
      group->batch.Put(codec::AccountKey(id),
                       codec::EncodeAccount({state->unit, state->non_negative, state->balance,
                                             state->last_seq, state->opened_seq}));
      group->account_states.emplace_back(std::string(id), *state);
    }
    group->batch.Put(ToSlice(codec::kHeadKey), codec::EncodeHead(group->head));
    // Not synced here: the syncers make it durable, several syncs overlapping. With
    // manual_wal_flush = false the WAL record is handed to the OS before Write returns.
    rocksdb::WriteOptions wo;
    wo.sync = false;
    rocksdb::Status s = db_->Write(wo, &group->batch);
    if (!s.ok()) {
      absl::Status fatal = FromRocks(s, "write group");
      Halt(fatal.ToString());
      FailGroup(group->members, absl::StrCat("ledger halted: ", fatal.ToString()));
      return;
    }
  }
  Groups ready;
  std::string halted;
  {
    absl::MutexLock l(&mu_);
    halted = halt_reason_;
    if (halted.empty()) {
      if (wrote) ++writes_done_;
      group->need = writes_done_;
      // Without synced commits (tests only) a written group counts as durable.
      if (!options_.sync_writes) durable_writes_ = writes_done_;
      unacked_.push_back(group);
      if (wrote) sync_cv_.Signal();
      ready = TakeDurable();  // a group with nothing accepted may be answerable at once
    }
  }
  if (!halted.empty()) {
    FailGroup(group->members, absl::StrCat("ledger halted: ", halted));
    return;
  }
  Acknowledge(ready);
}

RocksLedger::Impl::Groups RocksLedger::Impl::TakeDurable() {
  Groups ready;
  Head head = head_;
  while (!unacked_.empty() && unacked_.front()->need <= durable_writes_) {
    if (unacked_.front()->accepted > 0) head = unacked_.front()->head;
    ready.push_back(std::move(unacked_.front()));
    unacked_.pop_front();
  }
  if (head.seq != head_.seq) {
    // Published under mu_, in group order: the head never moves backwards.
    head_ = head;
    committed_seq_.store(head.seq, std::memory_order_release);
    // After committed_seq_, so the view's seq is never above the head readers resolve.
    absl::WriterMutexLock l(&view_mu_);
    for (const std::shared_ptr<PreparedGroup>& group : ready) {
      for (auto& [id, state] : group->account_states) view_[id] = std::move(state);
    }
    view_seq_ = head.seq;
    head_cv_.SignalAll();
  }
  return ready;
}

void RocksLedger::Impl::Acknowledge(const Groups& groups) {
  for (const std::shared_ptr<PreparedGroup>& group : groups) {
    if (options_.observer.on_group_written) {
      options_.observer.on_group_written(group->members.size(),
                                         absl::ToInt64Microseconds(absl::Now() - group->start));
    }
    for (Pending* p : group->members) Answer(p);
  }
}

// Stage 2 (syncers_): each loop notes how many groups were written, syncs every WAL file
// that may hold them, then marks them durable and answers those now durable, in order.
// A syncer starts a sync only when something was written since the last sync started, so
// up to kSyncers syncs overlap under load and none runs for nothing when idle.
void RocksLedger::Impl::SyncerLoop() {
  std::map<uint64_t, int> fds;  // this thread's descriptors, by WAL number
  for (;;) {
    uint64_t target = 0;
    {
      absl::MutexLock l(&mu_);
      while (halt_reason_.empty() && writes_done_ <= sync_started_for_ && !writer_done_) {
        sync_cv_.Wait(&mu_);
      }
      if (!halt_reason_.empty() || writes_done_ <= sync_started_for_) break;
      target = writes_done_;
      sync_started_for_ = target;
    }
    if (options_.test_before_wal_sync) options_.test_before_wal_sync();
    absl::Status s = SyncWals(&fds);
    if (!s.ok()) {
      Halt(s.ToString());
      break;
    }
    Groups ready;
    {
      absl::MutexLock l(&mu_);
      // After a halt nothing more is acknowledged: another syncer's error may concern the
      // same pages.
      if (!halt_reason_.empty()) break;
      durable_writes_ = std::max(durable_writes_, target);
      ready = TakeDurable();
    }
    Acknowledge(ready);
  }
  for (const auto& [number, fd] : fds) ::close(fd);
}

absl::StatusOr<uint64_t> RocksLedger::Impl::NoteLiveWal() {
  std::unique_ptr<rocksdb::LogFile> live;
  rocksdb::Status rs = db_->GetCurrentWalFile(&live);
  if (!rs.ok()) return FromRocks(rs, "find the live WAL");
  const uint64_t current = live->LogNumber();
  absl::MutexLock l(&wal_mu_);
  if (current <= last_wal_seen_) return current;
  if (last_wal_seen_ != 0 && current > last_wal_seen_ + 1) {
    // The WAL changed more than once since we last looked: whichever WAL files numbered in
    // between still exist may hold written groups (one RocksDB already deleted was flushed
    // into synced table files first).
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(options_.directory, ec)) {
      std::string name = e.path().filename().string();
      uint64_t number = 0;
      if (absl::EndsWith(name, ".log") &&
          absl::SimpleAtoi(absl::string_view(name).substr(0, name.size() - 4), &number) &&
          number > last_wal_seen_ && number < current) {
        wals_.try_emplace(number);
      }
    }
    if (ec) return absl::UnavailableError(absl::StrCat("list ", options_.directory));
  }
  wals_.try_emplace(current);
  last_wal_seen_ = current;
  return current;
}

absl::Status RocksLedger::Impl::SyncWals(std::map<uint64_t, int>* fds) {
  // The live WAL is looked up after the caller noted its target, so it is the WAL the last
  // of those writes went to or a later one; WAL numbers only grow.
  absl::StatusOr<uint64_t> live = NoteLiveWal();
  if (!live.ok()) return live.status();
  std::vector<uint64_t> todo;
  bool dir_unsynced = false;
  {
    absl::MutexLock l(&wal_mu_);
    for (const auto& [number, state] : wals_) {
      if (number > *live) break;
      todo.push_back(number);
      dir_unsynced |= !state.dir_synced;
    }
  }
  // Descriptors of WAL files retired by any syncer are closed.
  for (auto it = fds->begin(); it != fds->end();) {
    if (std::find(todo.begin(), todo.end(), it->first) == todo.end()) {
      ::close(it->second);
      it = fds->erase(it);
    } else {
      ++it;
    }
  }
  if (dir_unsynced) {
    // A WAL file created since the last look: its directory entry must be durable too.
    if (absl::Status s = SyncPath(options_.directory, O_RDONLY | O_DIRECTORY); !s.ok()) return s;
  }
  for (uint64_t number : todo) {
    auto it = fds->find(number);
    if (it == fds->end()) {
      std::string path = WalPath(options_.directory, number);
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        // Deleted by RocksDB: it deletes a WAL only after its data was flushed into table
        // files it synced.
        if (errno == ENOENT && number < *live) continue;
        return absl::UnavailableError(absl::StrCat("open ", path, ": ", std::strerror(errno)));
      }
      it = fds->emplace(number, fd).first;
    }
    if (::fdatasync(it->second) != 0) {
      return absl::UnavailableError(
          absl::StrCat("fdatasync WAL ", number, ": ", std::strerror(errno)));
    }
  }
  absl::MutexLock l(&wal_mu_);
  for (uint64_t number : todo) {
    auto it = wals_.find(number);
    if (it == wals_.end()) continue;
    if (number < *live) {
      // No longer written to (RocksDB moved to `live` before this sync began), and now
      // synced: retired.
      wals_.erase(it);
    } else if (dir_unsynced) {
      it->second.dir_synced = true;
    }
  }
  return absl::OkStatus();
}

absl::Status RocksLedger::Impl::SyncExistingWals() {
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(options_.directory, ec)) {
    if (e.path().extension() != ".log") continue;
    if (absl::Status s = SyncPath(e.path().string(), O_RDONLY | O_CLOEXEC); !s.ok()) return s;
  }
  if (ec) return absl::UnavailableError(absl::StrCat("list ", options_.directory));
  if (absl::Status s = SyncPath(options_.directory, O_RDONLY | O_DIRECTORY); !s.ok()) return s;
  absl::StatusOr<uint64_t> live = NoteLiveWal();
  if (!live.ok()) return live.status();
  absl::MutexLock l(&wal_mu_);
  wals_[*live].dir_synced = true;  // the directory was just synced
  return absl::OkStatus();
}

void RocksLedger::Impl::FailGroup(const std::vector<Pending*>& group, absl::string_view why) {
  for (Pending* p : group) {
    p->result = Rejection(absl::StatusCode::kUnavailable, reason::kLedgerHalted, why);
    Answer(p);
  }
}

void RocksLedger::Impl::Halt(absl::string_view why) {
  std::deque<std::shared_ptr<PreparedGroup>> unanswered;
  std::string reason;
  {
    absl::MutexLock l(&mu_);
    if (halt_reason_.empty()) halt_reason_ = std::string(why);
    reason = halt_reason_;
    unanswered.swap(unacked_);
    sync_cv_.SignalAll();
    queue_cv_.SignalAll();
  }
  for (const auto& group : unanswered) {
    FailGroup(group->members, absl::StrCat("ledger halted: ", reason));
  }
}

void RocksLedger::Impl::AppendToGroup(PreparedGroup* group, const std::vector<Pending*>& arrivals) {
  for (Pending* p : arrivals) {
    group->members.push_back(p);
    group->bytes += p->tx_bytes.size();
    Seq before = next_seq_;
    p->result = Apply(*p, group);
    if (!group->fatal.ok()) {
      // Keep the rest as members so the caller answers them too.
      for (Pending* rest : arrivals) {
        if (std::find(group->members.begin(), group->members.end(), rest) == group->members.end()) {
          group->members.push_back(rest);
        }
      }
      return;
    }
    group->accepted += next_seq_ - before;
  }
}

absl::StatusOr<std::optional<Receipt>> RocksLedger::Impl::CheckRequestId(const Pending& p,
                                                                         GroupOverlay* overlay) {
  const std::string& id = p.tx->request_id;
  absl::Status reused =
      Rejection(absl::StatusCode::kAlreadyExists, reason::kRequestIdReused,
                absl::StrCat("request id ", id, " was already used for a different transaction"));
  if (auto it = overlay->requests.find(id); it != overlay->requests.end()) {
    if (it->second.first != p.digest) return reused;
    Receipt r = it->second.second;
    r.replayed = true;
    return std::optional<Receipt>(r);
  }
  absl::StatusOr<std::optional<std::string>> q = Get(rocksdb::ReadOptions(), codec::RequestKey(id));
  if (!q.ok()) return q.status();
  if (!q->has_value()) return std::optional<Receipt>();
  absl::StatusOr<codec::RequestValue> v = codec::DecodeRequest(**q);
  if (!v.ok()) return v.status();
  if (v->digest != p.digest) return reused;
  absl::StatusOr<Receipt> r = ReceiptAt(v->seq);
  if (!r.ok()) return r.status();
  r->replayed = true;
  return std::optional<Receipt>(*r);
}

absl::Status RocksLedger::Impl::CollectChanges(const Transaction& tx,
                                               std::vector<Change>* changes) {
  auto find = [changes](absl::string_view id) -> Change* {
    for (Change& c : *changes) {
      if (c.id == id) return &c;
    }
    return nullptr;
  };
  for (const AccountSpec& spec : tx.open_accounts) {
    auto it = accounts_.find(spec.id);
    if (it == accounts_.end()) {
      changes->push_back(Change{spec.id, nullptr, &spec});
      continue;
    }
    if (it->second.unit != spec.unit || it->second.non_negative != spec.non_negative) {
      return Precondition(reason::kAccountExists,
                          absl::StrCat("account ", spec.id, " exists with unit ", it->second.unit,
                                       it->second.non_negative ? " (non-negative)" : ""));
    }
  }
  // A linear search is fastest for typical transactions (2-8 postings); switch to an index
  // for batches so thousands of postings stay linear time.
  const bool use_index = tx.postings.size() > 16;
  absl::flat_hash_map<absl::string_view, size_t> index;
  if (use_index) {
    for (size_t i = 0; i < changes->size(); ++i) index[(*changes)[i].id] = i;
  }
  for (const Posting& posting : tx.postings) {
    Change* c = nullptr;
    if (use_index) {
      auto it = index.find(posting.account);
      if (it != index.end()) c = &(*changes)[it->second];
    } else {
      c = find(posting.account);
    }
    if (c == nullptr) {
      auto it = accounts_.find(posting.account);
      if (it == accounts_.end()) {
        return Precondition(reason::kUnknownAccount,
                            absl::StrCat("unknown account ", posting.account));
      }
      changes->push_back(Change{posting.account, &it->second, nullptr});
      changes->back().stored_id = &it->first;
      if (use_index) index[posting.account] = changes->size() - 1;
      c = &changes->back();
    }
    c->delta += posting.amount;
    c->posted = true;
  }
  return absl::OkStatus();
}

absl::Status RocksLedger::Impl::CheckBalances(std::vector<Change>* changes) {
  std::vector<std::pair<absl::string_view, Int128>> unit_sums;
  for (const Change& c : *changes) {
    if (!c.posted) continue;
    auto it = std::find_if(unit_sums.begin(), unit_sums.end(),
                           [&](const auto& u) { return u.first == c.unit(); });
    if (it == unit_sums.end()) {
      unit_sums.emplace_back(c.unit(), c.delta);
    } else {
      it->second += c.delta;
    }
  }
  for (const auto& [unit, sum] : unit_sums) {
    if (sum != 0) {
      return Precondition(reason::kUnbalanced,
                          absl::StrCat("postings in ", unit, " do not sum to zero"));
    }
  }
  for (Change& c : *changes) {
    if (!c.posted) continue;
    Int128 after = (c.existing ? c.existing->balance : 0) + c.delta;
    if (c.delta < kI64Min || c.delta > kI64Max || after < kI64Min || after > kI64Max) {
      return Precondition(reason::kOverflow,
                          absl::StrCat("balance of account ", c.id, " would overflow"));
    }
    if (c.guarded() && after < 0) {
      return Precondition(reason::kInsufficientBalance,
                          absl::StrCat("account ", c.id, " would go below zero"));
    }
    c.balance_after = static_cast<int64_t>(after);
  }
  return absl::OkStatus();
}

absl::StatusOr<RocksLedger::Impl::PriorRecord> RocksLedger::Impl::Prior(
    const std::string& key, const GroupOverlay& overlay) {
  PriorRecord prior;
  if (auto it = overlay.records.find(key); it != overlay.records.end()) {
    prior.present = true;
    prior.version = it->second.first;
    prior.erased = it->second.second->erase;
    prior.value = it->second.second->value;
    return prior;
  }
  absl::StatusOr<std::optional<std::string>> v = Get(rocksdb::ReadOptions(), codec::RecordKey(key));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return prior;
  absl::StatusOr<codec::RecordValue> r = codec::DecodeRecord(**v);
  if (!r.ok()) return r.status();
  prior.present = true;
  prior.version = r->version;
  prior.erased = r->erased;
  prior.value = std::move(r->value);
  return prior;
}

absl::Status RocksLedger::Impl::CheckVersions(const Transaction& tx, const GroupOverlay& overlay,
                                              std::vector<PriorRecord>* priors,
                                              absl::Status* fatal) {
  auto check = [&](const std::string& key, Seq expected) -> absl::StatusOr<PriorRecord> {
    absl::StatusOr<PriorRecord> prior = Prior(key, overlay);
    if (!prior.ok()) {
      *fatal = prior.status();
      return prior.status();
    }
    if (prior->live_version() != expected) {
      return Rejection(absl::StatusCode::kAborted, reason::kVersionConflict,
                       absl::StrCat("record ", key, " is at version ", prior->live_version(),
                                    ", not ", expected));
    }
    return prior;
  };
  priors->reserve(tx.writes.size());
  for (const RecordWrite& w : tx.writes) {
    absl::StatusOr<PriorRecord> prior = check(w.key, w.expected_version);
    if (!prior.ok()) return prior.status();
    priors->push_back(*std::move(prior));
  }
  for (const RecordCheck& c : tx.checks) {
    if (absl::StatusOr<PriorRecord> prior = check(c.key, c.expected_version); !prior.ok()) {
      return prior.status();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Receipt> RocksLedger::Impl::Apply(const Pending& p, PreparedGroup* group) {
  const Transaction& tx = *p.tx;
  rocksdb::WriteBatch* batch = &group->batch;
  GroupOverlay* overlay = &group->overlay;
  absl::Status* fatal = &group->fatal;
  absl::StatusOr<std::optional<Receipt>> replay = CheckRequestId(p, overlay);
  if (!replay.ok()) {
    if (replay.status().code() != absl::StatusCode::kAlreadyExists) *fatal = replay.status();
    return replay.status();
  }
  if (replay->has_value()) return **replay;
  std::vector<Change> changes;
  changes.reserve(tx.open_accounts.size() + tx.postings.size());
  if (absl::Status s = CollectChanges(tx, &changes); !s.ok()) return s;
  if (absl::Status s = CheckBalances(&changes); !s.ok()) return s;
  std::vector<PriorRecord> priors;
  if (absl::Status s = CheckVersions(tx, *overlay, &priors, fatal); !s.ok()) return s;

  // Accepted: from here on nothing can fail.
  const Seq seq = next_seq_;
  const int64_t ms = std::max(NowMs(), last_ms_);
  std::string hash = codec::EntryHash(last_hash_, seq, ms, p.digest);
  batch->Put(codec::JournalKey(seq),
             codec::EncodeJournalValue(seq, last_hash_, ms, p.tx_bytes, hash));
  for (Change& c : changes) {
    AccountState* state = c.existing;
    absl::string_view id = c.id;
    if (state == nullptr) {
      auto [it, inserted] = accounts_.try_emplace(std::string(c.id));
      it->second = AccountState{c.opened->unit, c.opened->non_negative, 0, 0, seq};
      state = &it->second;
      id = it->first;  // c.id points into the transaction; the map's key lives on
    } else {
      id = *c.stored_id;
    }
    if (c.posted) {
      state->balance = c.balance_after;
      state->last_seq = seq;
      int64_t amount = static_cast<int64_t>(c.delta);
      batch->Put(codec::HistoryKey(c.id, seq),
                 codec::EncodeHistory({amount, c.balance_after, tx.business_date}));
      batch->Put(codec::DatedKey(c.id, tx.business_date, seq), codec::EncodeI64(amount));
    }
    group->dirty_accounts[id] = state;
  }
  for (size_t i = 0; i < tx.writes.size(); ++i) {
    const RecordWrite& w = tx.writes[i];
    const PriorRecord& prior = priors[i];
    // V keeps every superseded version (R holds the current one): a key's first write adds
    // no V entry, a rewrite or erase moves the version it replaces into V.
    if (prior.present) {
      batch->Put(codec::VersionKey(w.key, prior.version),
                 codec::EncodeVersion({prior.erased, prior.value}));
    }
    batch->Put(codec::RecordKey(w.key), codec::EncodeRecord({seq, w.erase, w.value}));
    overlay->records[w.key] = {seq, &w};
  }
  batch->Put(codec::RequestKey(tx.request_id), codec::EncodeRequest({p.digest, seq}));
  Receipt receipt{seq, hash, ms, false};
  overlay->requests[tx.request_id] = {p.digest, receipt};
  next_seq_ = seq + 1;
  last_hash_ = std::move(hash);
  last_ms_ = ms;
  return receipt;
}

// ===================================================================== witness

void RocksLedger::Impl::WitnessLoop() {
  for (;;) {
    Head head;
    {
      absl::MutexLock l(&mu_);
      if (!closing_) witness_cv_.WaitWithTimeout(&mu_, kWitnessInterval);
      if (closing_) return;
      head = head_;
    }
    if (head.seq == witnessed_.seq && head.hash == witnessed_.hash) continue;
    // Without synced commits the WAL must be synced first, so the witness never leads.
    if (!options_.sync_writes && !db_->SyncWAL().ok()) continue;
    if (WriteWitness(options_.directory, head).ok()) witnessed_ = head;
  }
}

// ===================================================================== shutdown

void RocksLedger::Impl::Shutdown() {
  absl::MutexLock shutdown_lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  {
    absl::MutexLock l(&mu_);
    closing_ = true;
    queue_cv_.SignalAll();
    head_cv_.SignalAll();
    witness_cv_.SignalAll();
  }
  // The writer drains the queue; the syncers then make everything written durable and
  // answer it (a final sync), and stop.
  if (writer_.joinable()) writer_.join();
  for (std::thread& t : syncers_) t.join();
  syncers_.clear();
  if (witness_thread_.joinable()) witness_thread_.join();
  absl::WriterMutexLock l(&db_mu_);
  if (db_ == nullptr) return;
  Head head = GetHead();
  if (head.seq != witnessed_.seq || head.hash != witnessed_.hash) {
    if (options_.sync_writes || db_->SyncWAL().ok()) {
      WriteWitness(options_.directory, head).IgnoreError();  // best effort; it only lags
    }
  }
  // Flush the memtables so the next Open has no WAL to replay (a restart after a clean
  // shutdown then costs only the start-up checks). Best effort: the WAL is durable anyway.
  db_->Flush(rocksdb::FlushOptions()).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
  db_.reset();
}

// ===================================================================== reads

absl::StatusOr<Seq> RocksLedger::Impl::ResolveSeq(const ReadOptions& options) {
  Seq head = committed_seq_.load(std::memory_order_acquire);
  if (options.at_seq == 0) return head;
  if (options.at_seq > head) {
    return InvalidField("at_seq", absl::StrCat(options.at_seq, " is above the head ", head));
  }
  return options.at_seq;
}

absl::StatusOr<std::optional<std::string>> RocksLedger::Impl::Get(const rocksdb::ReadOptions& ro,
                                                                  absl::string_view key) {
  std::string value;
  rocksdb::Status s = db_->Get(ro, rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "read");
  return std::optional<std::string>(std::move(value));
}

absl::StatusOr<Receipt> RocksLedger::Impl::ReceiptAt(Seq seq) {
  absl::StatusOr<std::optional<std::string>> v =
      Get(rocksdb::ReadOptions(), codec::JournalKey(seq));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return absl::DataLossError(absl::StrCat("journal entry ", seq, " missing"));
  absl::StatusOr<codec::JournalView> e = codec::SplitJournalValue(**v);
  if (!e.ok()) return e.status();
  return Receipt{seq, std::string(e->hash), e->committed_at_ms, false};
}

absl::StatusOr<std::optional<std::pair<Seq, std::string>>> RocksLedger::Impl::LastAtOrBefore(
    const std::string& prefix, Seq at) {
  std::string target = prefix;
  codec::PutU64(&target, at);
  rocksdb::ReadOptions ro;
  rocksdb::Slice lo(prefix);
  ro.iterate_lower_bound = &lo;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  it->SeekForPrev(target);
  using Result = std::optional<std::pair<Seq, std::string>>;
  if (!it->Valid()) {
    if (!it->status().ok()) return FromRocks(it->status(), "read history");
    return Result();
  }
  absl::string_view key(it->key().data(), it->key().size());
  if (key.size() != prefix.size() + 8 || !absl::StartsWith(key, prefix)) return Result();
  return Result(std::make_pair(codec::TrailingSeq(key), it->value().ToString()));
}

absl::StatusOr<Record> RocksLedger::Impl::RecordAt(const std::string& key,
                                                   std::optional<std::string> current, Seq at) {
  Record out{key, "", 0};
  if (!current.has_value()) return out;
  absl::StatusOr<codec::RecordValue> r = codec::DecodeRecord(*current);
  if (!r.ok()) return r.status();
  if (r->version <= at) {
    if (!r->erased) {
      out.value = std::move(r->value);
      out.version = r->version;
    }
    return out;
  }
  auto old = LastAtOrBefore(codec::VersionPrefix(key), at);
  if (!old.ok()) return old.status();
  if (!old->has_value()) return out;
  absl::StatusOr<codec::VersionValue> v = codec::DecodeVersion((*old)->second);
  if (!v.ok()) return v.status();
  if (!v->erased) {
    out.value = std::move(v->value);
    out.version = (*old)->first;
  }
  return out;
}

absl::StatusOr<Balance> RocksLedger::Impl::BalanceAt(const std::string& account,
                                                     std::optional<std::string> current, Seq at) {
  Balance out;
  out.account = account;
  if (!current.has_value()) return out;
  absl::StatusOr<codec::AccountValue> a = codec::DecodeAccount(*current);
  if (!a.ok()) return a.status();
  if (a->opened_seq > at) return out;
  out.exists = true;
  out.unit = a->unit;
  out.non_negative = a->non_negative;
  if (a->last_seq <= at) {
    out.amount = a->balance;
    out.last_seq = a->last_seq;
    return out;
  }
  auto old = LastAtOrBefore(codec::HistoryPrefix(account), at);
  if (!old.ok()) return old.status();
  if (!old->has_value()) return out;
  absl::StatusOr<codec::HistoryValue> h = codec::DecodeHistory((*old)->second);
  if (!h.ok()) return h.status();
  out.amount = h->balance_after;
  out.last_seq = (*old)->first;
  return out;
}

struct RocksLedger::Impl::RecordFamily {
  using Item = Record;
  using Set = RecordSet;
  using PageOf = RecordPage;
  static constexpr absl::string_view kIdsField = "keys";
  static constexpr char kTokenKind = 'r';
  static constexpr char kKeyPrefix = codec::kRecordPrefix;
  static constexpr absl::string_view kScanWhat = "scan records";
  static std::string StateKey(absl::string_view id) { return codec::RecordKey(id); }
  static absl::StatusOr<Record> At(Impl& impl, const std::string& id,
                                   std::optional<std::string> current, Seq at) {
    return impl.RecordAt(id, std::move(current), at);
  }
  // A scan lists only records that exist at the pinned seq.
  static bool Listed(const Record& r) { return r.version != 0; }
  static const std::string& Id(const Record& r) { return r.key; }
  template <typename Out>
  static std::vector<Record>& Items(Out& out) {
    return out.records;
  }
};

struct RocksLedger::Impl::AccountFamily {
  using Item = Balance;
  using Set = BalanceSet;
  using PageOf = BalancePage;
  static constexpr absl::string_view kIdsField = "accounts";
  static constexpr char kTokenKind = 'b';
  static constexpr char kKeyPrefix = codec::kAccountPrefix;
  static constexpr absl::string_view kScanWhat = "scan balances";
  static std::string StateKey(absl::string_view id) { return codec::AccountKey(id); }
  static absl::StatusOr<Balance> At(Impl& impl, const std::string& id,
                                    std::optional<std::string> current, Seq at) {
    return impl.BalanceAt(id, std::move(current), at);
  }
  // A scan lists only accounts opened by the pinned seq.
  static bool Listed(const Balance& b) { return b.exists; }
  static const std::string& Id(const Balance& b) { return b.account; }
  template <typename Out>
  static std::vector<Balance>& Items(Out& out) {
    return out.balances;
  }
};

template <typename F>
absl::StatusOr<typename F::Set> RocksLedger::Impl::GetCurrent(absl::Span<const std::string> ids,
                                                              const ReadOptions& options) {
  if (absl::Status s = ValidateReadIds(F::kIdsField, ids); !s.ok()) return s;
  absl::ReaderMutexLock l(&db_mu_);
  if (db_ == nullptr) return absl::UnavailableError("ledger closed");
  absl::StatusOr<Seq> at = ResolveSeq(options);
  if (!at.ok()) return at.status();
  typename F::Set out;
  out.as_of_seq = *at;
  F::Items(out).reserve(ids.size());
  for (const std::string& id : ids) {
    auto current = Get(rocksdb::ReadOptions(), F::StateKey(id));
    if (!current.ok()) return current.status();
    absl::StatusOr<typename F::Item> item = F::At(*this, id, *std::move(current), *at);
    if (!item.ok()) return item.status();
    F::Items(out).push_back(*std::move(item));
  }
  return out;
}

template <typename F>
absl::StatusOr<typename F::PageOf> RocksLedger::Impl::ScanCurrent(absl::string_view prefix,
                                                                  const Page& page,
                                                                  const ReadOptions& options) {
  if (absl::Status s = ValidateReadId("prefix", prefix, true); !s.ok()) return s;
  absl::ReaderMutexLock l(&db_mu_);
  if (db_ == nullptr) return absl::UnavailableError("ledger closed");
  absl::StatusOr<Seq> resolved = ResolveSeq(options);
  if (!resolved.ok()) return resolved.status();
  auto cursor = DecodeToken(F::kTokenKind, page, committed_seq_.load(), options.at_seq);
  if (!cursor.ok()) return cursor.status();
  Seq at = cursor->has_value() ? (*cursor)->as_of_seq : *resolved;
  std::string start = F::StateKey(prefix);
  if (cursor->has_value()) {
    if (!absl::StartsWith((*cursor)->after, prefix)) {
      return InvalidField("page_token", "issued for another prefix");
    }
    start = F::StateKey((*cursor)->after);
    start.push_back('\0');  // strictly after the last id returned
  }
  std::string upper(1, F::kKeyPrefix + 1);
  rocksdb::ReadOptions ro;
  rocksdb::Slice up(upper);
  ro.iterate_upper_bound = &up;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  typename F::PageOf out;
  out.as_of_seq = at;
  std::string family_prefix = F::StateKey(prefix);
  for (it->Seek(start); it->Valid(); it->Next()) {
    absl::string_view k(it->key().data(), it->key().size());
    if (!absl::StartsWith(k, family_prefix)) break;
    absl::StatusOr<typename F::Item> item =
        F::At(*this, std::string(k.substr(1)), it->value().ToString(), at);
    if (!item.ok()) return item.status();
    if (!F::Listed(*item)) continue;
    if (F::Items(out).size() == page.page_size) {
      out.next_page_token = EncodeToken(F::kTokenKind, at, F::Id(F::Items(out).back()));
      break;
    }
    F::Items(out).push_back(*std::move(item));
  }
  if (!it->status().ok()) return FromRocks(it->status(), F::kScanWhat);
  return out;
}

absl::StatusOr<RecordSet> RocksLedger::Impl::GetRecords(absl::Span<const std::string> keys,
                                                        const ReadOptions& options) {
  return GetCurrent<RecordFamily>(keys, options);
}

absl::StatusOr<RecordPage> RocksLedger::Impl::ScanRecords(absl::string_view prefix,
                                                          const Page& page,
                                                          const ReadOptions& options) {
  return ScanCurrent<RecordFamily>(prefix, page, options);
}

absl::StatusOr<std::vector<Seq>> RocksLedger::Impl::RecordHistory(absl::string_view key,
                                                                  const ReadOptions& options) {
  if (absl::Status s = ValidateReadId("key", key, false); !s.ok()) return s;
  absl::ReaderMutexLock l(&db_mu_);
  if (db_ == nullptr) return absl::UnavailableError("ledger closed");
  absl::StatusOr<Seq> at = ResolveSeq(options);
  if (!at.ok()) return at.status();
  std::string prefix = codec::VersionPrefix(key);
  std::string upper = codec::VersionKey(key, *at + 1);
  rocksdb::ReadOptions ro;
  rocksdb::Slice up(upper);
  ro.iterate_upper_bound = &up;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  std::vector<Seq> out;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    absl::string_view k(it->key().data(), it->key().size());
    if (!absl::StartsWith(k, prefix) || k.size() != prefix.size() + 8) break;
    out.push_back(codec::TrailingSeq(k));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read record history");
  // V holds the superseded versions, R the current one (stores written before format 2 also
  // kept the current one in V).
  auto current = Get(rocksdb::ReadOptions(), codec::RecordKey(key));
  if (!current.ok()) return current.status();
  if (current->has_value()) {
    absl::StatusOr<codec::RecordValue> r = codec::DecodeRecord(**current);
    if (!r.ok()) return r.status();
    if (r->version <= *at && (out.empty() || out.back() != r->version)) {
      out.push_back(r->version);
    }
  }
  return out;
}

absl::StatusOr<BalanceSet> RocksLedger::Impl::GetBalances(absl::Span<const std::string> accounts,
                                                          const ReadOptions& options) {
  if (absl::Status s = ValidateReadIds(AccountFamily::kIdsField, accounts); !s.ok()) return s;
  {
    absl::ReaderMutexLock l(&db_mu_);
    if (db_ == nullptr) return absl::UnavailableError("ledger closed");
    if (std::optional<BalanceSet> set = ViewBalances(accounts, options); set.has_value()) {
      return *std::move(set);
    }
  }
  return GetCurrent<AccountFamily>(accounts, options);
}

std::optional<BalanceSet> RocksLedger::Impl::ViewBalances(absl::Span<const std::string> ids,
                                                          const ReadOptions& options) {
  absl::ReaderMutexLock l(&view_mu_);
  if (options.at_seq != 0 && options.at_seq != view_seq_) return std::nullopt;
  BalanceSet out;
  out.as_of_seq = view_seq_;
  out.balances.reserve(ids.size());
  for (const std::string& id : ids) {
    auto it = view_.find(id);
    if (it == view_.end()) {
      Balance unknown;
      unknown.account = id;
      out.balances.push_back(std::move(unknown));
    } else {
      out.balances.push_back(ViewBalance(id, it->second));
    }
  }
  return out;
}

std::optional<BalancePage> RocksLedger::Impl::ViewScan(absl::string_view prefix, const Page& page,
                                                       const ReadOptions& options,
                                                       const std::optional<Cursor>& cursor) {
  absl::ReaderMutexLock l(&view_mu_);
  const Seq at = cursor.has_value() ? cursor->as_of_seq : options.at_seq;
  if (at != 0 && at != view_seq_) return std::nullopt;
  BalancePage out;
  out.as_of_seq = view_seq_;
  auto it = cursor.has_value() ? view_.upper_bound(cursor->after) : view_.lower_bound(prefix);
  for (; it != view_.end() && absl::StartsWith(it->first, prefix); ++it) {
    if (out.balances.size() == page.page_size) {
      out.next_page_token =
          EncodeToken(AccountFamily::kTokenKind, view_seq_, out.balances.back().account);
      break;
    }
    out.balances.push_back(ViewBalance(it->first, it->second));
  }
  return out;
}

absl::StatusOr<BalancePage> RocksLedger::Impl::ScanBalances(absl::string_view prefix,
                                                            const Page& page,
                                                            const ReadOptions& options) {
  if (absl::Status s = ValidateReadId("prefix", prefix, true); !s.ok()) return s;
  {
    absl::ReaderMutexLock l(&db_mu_);
    if (db_ == nullptr) return absl::UnavailableError("ledger closed");
    if (absl::StatusOr<Seq> at = ResolveSeq(options); !at.ok()) return at.status();
    auto cursor =
        DecodeToken(AccountFamily::kTokenKind, page, committed_seq_.load(), options.at_seq);
    if (!cursor.ok()) return cursor.status();
    if (cursor->has_value() && !absl::StartsWith((*cursor)->after, prefix)) {
      return InvalidField("page_token", "issued for another prefix");
    }
    if (std::optional<BalancePage> p = ViewScan(prefix, page, options, *cursor); p.has_value()) {
      return *std::move(p);
    }
  }
  return ScanCurrent<AccountFamily>(prefix, page, options);
}

absl::StatusOr<Balance> RocksLedger::Impl::DatedBalance(const std::string& account,
                                                        absl::CivilDay date, Seq at) {
  auto current = Get(rocksdb::ReadOptions(), codec::AccountKey(account));
  if (!current.ok()) return current.status();
  absl::StatusOr<Balance> b = BalanceAt(account, *std::move(current), at);
  if (!b.ok() || !b->exists) return b;
  b->amount = 0;
  b->last_seq = 0;
  std::string prefix = codec::DatedPrefix(account);
  // Every dated key of this account up to and including `date`.
  std::string upper = codec::DatedKey(account, date + 1, 0);
  rocksdb::ReadOptions ro;
  rocksdb::Slice up(upper);
  ro.iterate_upper_bound = &up;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  Int128 sum = 0;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    absl::string_view k(it->key().data(), it->key().size());
    absl::CivilDay day;
    Seq seq = 0;
    if (!absl::StartsWith(k, prefix) || !codec::DatedKeyParts(k, prefix.size(), &day, &seq)) {
      break;
    }
    if (seq > at) continue;
    absl::StatusOr<int64_t> amount =
        codec::DecodeI64(absl::string_view(it->value().data(), it->value().size()));
    if (!amount.ok()) return amount.status();
    sum += *amount;
    b->last_seq = std::max(b->last_seq, seq);
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read dated postings");
  if (sum < kI64Min || sum > kI64Max) {
    return Precondition(reason::kOverflow,
                        absl::StrCat("dated balance of ", account, " overflows"));
  }
  b->amount = static_cast<int64_t>(sum);
  return b;
}

absl::StatusOr<BalanceSet> RocksLedger::Impl::GetBalancesAsOfDate(
    absl::Span<const std::string> accounts, absl::CivilDay date, const ReadOptions& options) {
  if (absl::Status s = ValidateReadIds("accounts", accounts); !s.ok()) return s;
  if (date < kMinBusinessDate || date > kMaxBusinessDate) {
    return InvalidField("date", "outside 1900-01-01..2199-12-31");
  }
  absl::ReaderMutexLock l(&db_mu_);
  if (db_ == nullptr) return absl::UnavailableError("ledger closed");
  absl::StatusOr<Seq> at = ResolveSeq(options);
  if (!at.ok()) return at.status();
  BalanceSet out;
  out.as_of_seq = *at;
  for (const std::string& account : accounts) {
    absl::StatusOr<Balance> b = DatedBalance(account, date, *at);
    if (!b.ok()) return b.status();
    out.balances.push_back(*std::move(b));
  }
  return out;
}

absl::StatusOr<MovementPage> RocksLedger::Impl::AccountHistory(absl::string_view account,
                                                               const Page& page,
                                                               const ReadOptions& options) {
  if (absl::Status s = ValidateReadId("account", account, false); !s.ok()) return s;
  absl::ReaderMutexLock l(&db_mu_);
  if (db_ == nullptr) return absl::UnavailableError("ledger closed");
  absl::StatusOr<Seq> resolved = ResolveSeq(options);
  if (!resolved.ok()) return resolved.status();
  auto cursor = DecodeToken('m', page, committed_seq_.load(), options.at_seq);
  if (!cursor.ok()) return cursor.status();
  Seq at = cursor->has_value() ? (*cursor)->as_of_seq : *resolved;
  Seq after = 0;
  if (cursor->has_value()) {
    codec::Reader r((*cursor)->after);
    if (!r.GetU64(&after) || !r.done()) return InvalidField("page_token", "malformed cursor");
  }
  std::string prefix = codec::HistoryPrefix(account);
  std::string upper = codec::HistoryKey(account, at + 1);
  rocksdb::ReadOptions ro;
  rocksdb::Slice up(upper);
  ro.iterate_upper_bound = &up;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  MovementPage out;
  out.as_of_seq = at;
  for (it->Seek(codec::HistoryKey(account, after + 1)); it->Valid(); it->Next()) {
    absl::string_view k(it->key().data(), it->key().size());
    if (!absl::StartsWith(k, prefix) || k.size() != prefix.size() + 8) break;
    if (out.movements.size() == page.page_size) {
      std::string c;
      codec::PutU64(&c, out.movements.back().seq);
      out.next_page_token = EncodeToken('m', at, c);
      break;
    }
    absl::StatusOr<codec::HistoryValue> h =
        codec::DecodeHistory(absl::string_view(it->value().data(), it->value().size()));
    if (!h.ok()) return h.status();
    out.movements.push_back({codec::TrailingSeq(k), h->business_date, h->amount, h->balance_after});
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read account history");
  return out;
}

absl::StatusOr<std::vector<JournalEntry>> RocksLedger::Impl::ReadJournal(Seq from_seq,
                                                                         size_t max_entries) {
  if (from_seq < 1) return InvalidField("from_seq", "must be at least 1");
  if (max_entries < 1 || max_entries > kMaxPageSize) {
    return InvalidField("max_entries", absl::StrCat("must be 1..", kMaxPageSize));
  }
  absl::ReaderMutexLock l(&db_mu_);
  if (db_ == nullptr) return absl::UnavailableError("ledger closed");
  Seq head = committed_seq_.load(std::memory_order_acquire);
  std::vector<JournalEntry> out;
  if (from_seq > head) return out;
  Seq last = std::min<Seq>(head, from_seq + max_entries - 1);
  std::string upper = codec::JournalKey(last + 1);
  rocksdb::ReadOptions ro;
  rocksdb::Slice up(upper);
  ro.iterate_upper_bound = &up;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  out.reserve(last - from_seq + 1);
  Seq expected = from_seq;
  for (it->Seek(codec::JournalKey(from_seq)); it->Valid(); it->Next(), ++expected) {
    absl::StatusOr<JournalEntry> e =
        codec::DecodeJournalValue(absl::string_view(it->value().data(), it->value().size()));
    if (!e.ok() || e->seq != expected) {
      return absl::DataLossError(absl::StrCat("journal entry ", expected, ": undecodable"));
    }
    out.push_back(*std::move(e));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read journal");
  if (expected != last + 1) {
    return absl::DataLossError(absl::StrCat("journal entry ", expected, " missing"));
  }
  return out;
}

absl::Status RocksLedger::Impl::Watch(Seq from_seq, const WatchCallback& on_entry,
                                      const StopPredicate& stop) {
  if (from_seq < 1) return InvalidField("from_seq", "must be at least 1");
  Seq next = from_seq;
  for (;;) {
    if (stop && stop()) return absl::OkStatus();
    absl::StatusOr<std::vector<JournalEntry>> batch = ReadJournal(next, kWatchBatch);
    if (!batch.ok()) return batch.status();
    for (const JournalEntry& e : *batch) {
      if (!on_entry(e)) return absl::OkStatus();
      next = e.seq + 1;
    }
    if (!batch->empty()) continue;
    absl::MutexLock l(&mu_);
    if (closing_) return absl::UnavailableError("ledger is shutting down");
    if (committed_seq_.load(std::memory_order_acquire) < next) {
      head_cv_.WaitWithTimeout(&mu_, kWatchPoll);
    }
  }
}

// ===================================================================== verify

namespace {
struct VerifiedAccount {
  std::string unit;
  bool non_negative = false;
  Int128 balance = 0;
};

VerifyReport Bad(VerifyReport report, Seq seq, std::string problem) {
  report.ok = false;
  report.first_bad_seq = seq;
  report.problem = std::move(problem);
  return report;
}
}  // namespace

absl::StatusOr<VerifyReport> RocksLedger::Impl::Verify() {
  absl::ReaderMutexLock l(&db_mu_);
  if (db_ == nullptr) return absl::UnavailableError("ledger closed");
  // Only the acknowledged (durable) history is verified; the snapshot, taken after, holds
  // it and perhaps later groups still being synced, which are left for a later Verify.
  const Seq committed = committed_seq_.load(std::memory_order_acquire);
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  ro.fill_cache = false;
  std::string lower(1, codec::kJournalPrefix), upper = codec::JournalKey(committed + 1);
  rocksdb::Slice lo(lower), up(upper);
  rocksdb::ReadOptions jro = ro;
  jro.iterate_lower_bound = &lo;
  jro.iterate_upper_bound = &up;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(jro));
  VerifyReport report;
  absl::flat_hash_map<std::string, VerifiedAccount> accounts;
  std::string prev = codec::ZeroHash();
  Seq expected = 1;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
    absl::string_view key(it->key().data(), it->key().size());
    Seq kseq = key.size() == 9 ? codec::TrailingSeq(key) : 0;
    if (kseq != expected) {
      return Bad(report, expected, absl::StrCat("journal entry ", expected, ": missing"));
    }
    absl::string_view value(it->value().data(), it->value().size());
    absl::StatusOr<codec::JournalView> view = codec::SplitJournalValue(value);
    absl::StatusOr<JournalEntry> e = codec::DecodeJournalValue(value);
    if (!view.ok() || !e.ok()) {
      return Bad(report, kseq, absl::StrCat("journal entry ", kseq, ": undecodable"));
    }
    if (e->seq != kseq) {
      return Bad(report, kseq, absl::StrCat("journal entry ", kseq, ": stored seq ", e->seq));
    }
    if (e->prev_hash != prev) {
      return Bad(report, kseq,
                 absl::StrCat("journal entry ", kseq, ": does not link to entry ", kseq - 1));
    }
    if (codec::EntryHash(prev, kseq, e->committed_at_ms, codec::Sha256(view->tx_bytes)) !=
        e->hash) {
      return Bad(report, kseq, absl::StrCat("journal entry ", kseq, ": hash mismatch"));
    }
    for (const AccountSpec& spec : e->tx.open_accounts) {
      accounts.try_emplace(spec.id, VerifiedAccount{spec.unit, spec.non_negative, 0});
    }
    absl::flat_hash_map<absl::string_view, Int128> deltas;
    for (const Posting& p : e->tx.postings) deltas[p.account] += p.amount;
    for (const auto& [account, delta] : deltas) {
      auto a = accounts.find(account);
      if (a == accounts.end()) {
        return Bad(report, kseq,
                   absl::StrCat("journal entry ", kseq, ": posting to unknown account ", account));
      }
      a->second.balance += delta;
      auto h = Get(ro, codec::HistoryKey(account, kseq));
      if (!h.ok()) return h.status();
      absl::StatusOr<codec::HistoryValue> hv =
          h->has_value() ? codec::DecodeHistory(**h)
                         : absl::StatusOr<codec::HistoryValue>(absl::DataLossError("missing"));
      if (!hv.ok() || hv->amount != delta || hv->balance_after != a->second.balance) {
        return Bad(report, kseq,
                   absl::StrCat("journal entry ", kseq, ": balance history of account ", account,
                                " disagrees with the journal"));
      }
    }
    prev = e->hash;
    report.entries_checked = kseq;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "verify journal");
  Seq last = expected - 1;
  if (last != committed) {
    return Bad(report, expected, absl::StrCat("journal entry ", expected, ": missing"));
  }
  auto hv = Get(ro, codec::kHeadKey);
  if (!hv.ok()) return hv.status();
  if (last > 0) {
    // The stored head is the acknowledged one, or a later group's still being synced.
    absl::StatusOr<Head> head =
        hv->has_value() ? codec::DecodeHead(**hv) : absl::StatusOr<Head>(absl::DataLossError(""));
    if (!head.ok() || head->seq < last || (head->seq == last && head->hash != prev)) {
      return Bad(report, 0, "head record disagrees with the end of the journal");
    }
  }
  // Every stored account against the balances recomputed from postings.
  std::string alower(1, codec::kAccountPrefix), aupper(1, codec::kAccountPrefix + 1);
  rocksdb::Slice alo(alower), aup(aupper);
  rocksdb::ReadOptions aro = ro;
  aro.iterate_lower_bound = &alo;
  aro.iterate_upper_bound = &aup;
  std::unique_ptr<rocksdb::Iterator> ait(db_->NewIterator(aro));
  absl::flat_hash_map<std::string, Int128> unit_sums;
  for (ait->SeekToFirst(); ait->Valid(); ait->Next()) {
    std::string id(ait->key().data() + 1, ait->key().size() - 1);
    absl::StatusOr<codec::AccountValue> a =
        codec::DecodeAccount(absl::string_view(ait->value().data(), ait->value().size()));
    auto bad_account = [&] {
      return Bad(report, 0,
                 absl::StrCat("account ", id, ": stored state disagrees with the journal"));
    };
    if (a.ok() && a->opened_seq > committed) continue;  // opened by a group being synced
    auto v = accounts.find(id);
    if (!a.ok() || v == accounts.end() || v->second.unit != a->unit ||
        v->second.non_negative != a->non_negative) {
      return bad_account();
    }
    // The balance as of the verified head: the stored one, or (when a group being synced
    // already moved it) the balance history's at that head.
    int64_t balance = a->balance;
    if (a->last_seq > committed) {
      auto old = LastAtOrBefore(codec::HistoryPrefix(id), committed);
      if (!old.ok()) return old.status();
      balance = 0;
      if (old->has_value()) {
        absl::StatusOr<codec::HistoryValue> h = codec::DecodeHistory((*old)->second);
        if (!h.ok()) return bad_account();
        balance = h->balance_after;
      }
    }
    if (v->second.balance != balance) return bad_account();
    unit_sums[a->unit] += balance;
    ++report.accounts_checked;
  }
  if (!ait->status().ok()) return FromRocks(ait->status(), "verify accounts");
  if (report.accounts_checked != accounts.size()) {
    return Bad(report, 0, "an account opened in the journal is missing from the store");
  }
  for (const auto& [unit, sum] : unit_sums) {
    if (sum != 0) return Bad(report, 0, absl::StrCat("unit ", unit, " does not sum to zero"));
  }
  return report;
}

// ===================================================================== backup

absl::StatusOr<Head> RocksLedger::Impl::Backup(const std::string& directory) {
  if (directory.empty()) return InvalidField("directory", "must not be empty");
  std::error_code ec;
  if (fs::exists(directory, ec)) {
    return absl::FailedPreconditionError(absl::StrCat("backup directory ", directory, " exists"));
  }
  {
    absl::ReaderMutexLock l(&db_mu_);
    if (db_ == nullptr) return absl::UnavailableError("ledger closed");
    rocksdb::Checkpoint* raw = nullptr;
    rocksdb::Status s = rocksdb::Checkpoint::Create(db_.get(), &raw);
    if (!s.ok()) return FromRocks(s, "checkpoint");
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    s = checkpoint->CreateCheckpoint(directory);
    if (!s.ok()) return FromRocks(s, absl::StrCat("checkpoint into ", directory));
  }
  absl::StatusOr<Head> head = ReadStoredHead(directory);
  if (!head.ok()) return head.status();
  // The checkpoint holds every group written, perhaps some not yet durable here. Return
  // (and witness) its head only once that head is acknowledged, i.e. durable in this store
  // too: a backup never holds an entry no caller may ever have been told about.
  std::string halted;
  {
    absl::MutexLock l(&mu_);
    while (committed_seq_.load(std::memory_order_acquire) < head->seq && halt_reason_.empty()) {
      head_cv_.WaitWithTimeout(&mu_, kWatchPoll);
    }
    if (committed_seq_.load(std::memory_order_acquire) < head->seq) halted = halt_reason_;
  }
  if (!halted.empty()) {
    fs::remove_all(directory, ec);
    return Rejection(absl::StatusCode::kUnavailable, reason::kLedgerHalted,
                     absl::StrCat("ledger halted during the backup: ", halted));
  }
  if (absl::Status s = WriteWitness(directory, *head); !s.ok()) return s;
  return head;
}

// ===================================================================== RocksLedger

RocksLedger::RocksLedger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RocksLedger::~RocksLedger() { impl_->Shutdown(); }

absl::StatusOr<std::unique_ptr<RocksLedger>> RocksLedger::Open(RocksLedgerOptions options) {
  if (options.directory.empty()) return InvalidField("directory", "must not be empty");
  if (options.max_queue < 1) return InvalidField("max_queue", "must be at least 1");
  if (options.max_group < 1) return InvalidField("max_group", "must be at least 1");
  auto impl = std::make_unique<Impl>(std::move(options));
  if (absl::Status s = impl->Start(); !s.ok()) return s;
  return absl::WrapUnique(new RocksLedger(std::move(impl)));
}

absl::StatusOr<Head> RocksLedger::Restore(const std::string& backup_directory,
                                          const std::string& data_directory) {
  std::error_code ec;
  if (!fs::is_directory(backup_directory, ec)) {
    return absl::NotFoundError(absl::StrCat("no backup at ", backup_directory));
  }
  if (fs::exists(data_directory, ec) && !fs::is_empty(data_directory, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("data directory ", data_directory, " exists and is not empty"));
  }
  absl::StatusOr<Head> head = ReadStoredHead(backup_directory);
  if (!head.ok()) return head.status();
  absl::StatusOr<std::optional<Head>> witness = ReadWitness(backup_directory);
  if (!witness.ok()) return witness.status();
  if (witness->has_value() && (*witness)->seq > head->seq) {
    return absl::DataLossError(
        absl::StrCat("backup head ", head->seq, " is behind its witness at ", (*witness)->seq));
  }
  fs::create_directories(data_directory, ec);
  if (!ec) {
    fs::copy(backup_directory, data_directory, fs::copy_options::recursive, ec);
  }
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("copy ", backup_directory, " to ", data_directory, ": ", ec.message()));
  }
  if (absl::Status s = WriteWitness(data_directory, *head); !s.ok()) return s;
  return head;
}

absl::StatusOr<Receipt> RocksLedger::Commit(const Transaction& tx) { return impl_->Commit(tx); }
void RocksLedger::CommitAsync(Transaction tx, CommitDone done) {
  impl_->CommitAsync(std::move(tx), std::move(done));
}
absl::StatusOr<Head> RocksLedger::GetHead() { return impl_->GetHead(); }
absl::StatusOr<RecordSet> RocksLedger::GetRecords(absl::Span<const std::string> keys,
                                                  const ReadOptions& options) {
  return impl_->GetRecords(keys, options);
}
absl::StatusOr<RecordPage> RocksLedger::ScanRecords(absl::string_view prefix, const Page& page,
                                                    const ReadOptions& options) {
  return impl_->ScanRecords(prefix, page, options);
}
absl::StatusOr<std::vector<Seq>> RocksLedger::RecordHistory(absl::string_view key,
                                                            const ReadOptions& options) {
  return impl_->RecordHistory(key, options);
}
absl::StatusOr<BalanceSet> RocksLedger::GetBalances(absl::Span<const std::string> accounts,
                                                    const ReadOptions& options) {
  return impl_->GetBalances(accounts, options);
}
absl::StatusOr<BalancePage> RocksLedger::ScanBalances(absl::string_view prefix, const Page& page,
                                                      const ReadOptions& options) {
  return impl_->ScanBalances(prefix, page, options);
}
absl::StatusOr<BalanceSet> RocksLedger::GetBalancesAsOfDate(absl::Span<const std::string> accounts,
                                                            absl::CivilDay date,
                                                            const ReadOptions& options) {
  return impl_->GetBalancesAsOfDate(accounts, date, options);
}
absl::StatusOr<MovementPage> RocksLedger::AccountHistory(absl::string_view account,
                                                         const Page& page,
                                                         const ReadOptions& options) {
  return impl_->AccountHistory(account, page, options);
}
absl::StatusOr<std::vector<JournalEntry>> RocksLedger::ReadJournal(Seq from_seq,
                                                                   size_t max_entries) {
  return impl_->ReadJournal(from_seq, max_entries);
}
absl::Status RocksLedger::Watch(Seq from_seq, const WatchCallback& on_entry,
                                const StopPredicate& stop) {
  return impl_->Watch(from_seq, on_entry, stop);
}
absl::StatusOr<VerifyReport> RocksLedger::Verify() { return impl_->Verify(); }
absl::StatusOr<Head> RocksLedger::Backup(const std::string& directory) {
  return impl_->Backup(directory);
}
void RocksLedger::Shutdown() { impl_->Shutdown(); }
std::string RocksLedger::HaltReason() const { return impl_->HaltReason(); }

}  // namespace reserve::ledger

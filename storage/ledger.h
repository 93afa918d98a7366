// The ledger: the one place where state changes (DESIGN.md section 4).
//
// Services see the ledger only through the abstract class `Ledger` below. Two
// implementations exist: `RocksLedger` (storage/rocks_ledger.h, in-process over RocksDB)
// and `RemoteLedger` (storage/remote/remote_ledger.h, over gRPC to a LedgerService). One
// conformance suite (tests/ledger_conformance_test.cc) runs against both.
//
// Vocabulary (see also README glossary):
//   account     — holds one exact balance in one unit ("g:CU" grams of copper, "CNY" fen).
//   posting     — a signed amount applied to one account by one transaction.
//   record      — a versioned document (lot, depot, pledge …) keyed by a string.
//   transaction — postings + record writes committed atomically under one request id.
//   receipt     — what a committed transaction gets back: its sequence number and hash.
//   journal     — the gap-free, hash-chained list of committed transactions.
//
// Thread safety: every method of every implementation may be called concurrently.
#ifndef RESERVE_STORAGE_LEDGER_H_
#define RESERVE_STORAGE_LEDGER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace reserve::ledger {

// Journal sequence number. The first committed transaction is 1; 0 means "none".
using Seq = uint64_t;

// Limits, enforced at commit and on every read (INVALID_ARGUMENT when exceeded).
inline constexpr size_t kMaxIdBytes = 256;            // request ids, account ids, record keys
inline constexpr size_t kMaxKindBytes = 64;           // transaction kind
inline constexpr size_t kMaxUnitBytes = 32;           // account unit
inline constexpr size_t kMaxRecordBytes = 64 * 1024;  // one record value
inline constexpr size_t kMaxMemoBytes = 4 * 1024;
inline constexpr size_t kMaxPostings = 4096;  // enough for a batch of 1,000 lots x 4 postings
inline constexpr size_t kMaxWrites = 4096;
inline constexpr size_t kMaxChecks = 4096;
inline constexpr size_t kMaxOpenAccounts = 1024;
inline constexpr size_t kMaxTransactionBytes = 8 * 1024 * 1024;  // whole encoded transaction
inline constexpr size_t kMaxPageSize = 1000;                     // any paginated read
inline constexpr size_t kMaxKeysPerRead = 1000;                  // GetRecords / GetBalances
// Business dates outside this range are rejected (the price data starts in 1960).
inline constexpr absl::CivilDay kMinBusinessDate{1900, 1, 1};
inline constexpr absl::CivilDay kMaxBusinessDate{2199, 12, 31};

// Declares a new account inside a transaction. Opening an existing account with the same
// unit and guard is a no-op; with a different unit or guard it is rejected
// (FAILED_PRECONDITION, reason ACCOUNT_EXISTS).
struct AccountSpec {
  std::string id;
  std::string unit;           // e.g. "g:CU" (grams of copper) or "CNY" (fen)
  bool non_negative = false;  // the guard: a commit leaving it below zero is rejected
  friend bool operator==(const AccountSpec&, const AccountSpec&) = default;
};

struct Posting {
  std::string account;
  int64_t amount = 0;  // signed, in the account's unit; zero is invalid
  friend bool operator==(const Posting&, const Posting&) = default;
};

// Writes `value` under `key` if the record's current version is `expected_version`
// (0 = the record must not exist). A committed write gives the record version = the
// transaction's sequence number. `erase` deletes the record (value must be empty).
struct RecordWrite {
  std::string key;
  uint64_t expected_version = 0;
  std::string value;
  bool erase = false;
  friend bool operator==(const RecordWrite&, const RecordWrite&) = default;
};

// Asserts that a record the writer read (and does not write) is still at `expected_version`.
struct RecordCheck {
  std::string key;
  uint64_t expected_version = 0;
  friend bool operator==(const RecordCheck&, const RecordCheck&) = default;
};

struct Transaction {
  std::string request_id;  // non-empty; idempotency key
  std::string kind;        // e.g. "inventory.acquire"; non-empty
  std::string principal;   // acting principal, e.g. "admin:alice"; non-empty
  absl::CivilDay business_date;
  std::vector<AccountSpec> open_accounts;
  std::vector<Posting> postings;  // per unit, amounts sum to zero
  std::vector<RecordWrite> writes;
  std::vector<RecordCheck> checks;
  std::string memo;
  friend bool operator==(const Transaction&, const Transaction&) = default;
};

struct Receipt {
  Seq seq = 0;
  std::string hash;  // 32 raw bytes: SHA-256 of this journal entry (chained)
  int64_t committed_at_ms = 0;  // wall clock, Unix milliseconds
  bool replayed = false;        // true when this is the original receipt of an earlier commit
};

struct JournalEntry {
  Seq seq = 0;
  std::string prev_hash;  // 32 raw bytes; all zero for seq 1
  std::string hash;       // 32 raw bytes
  int64_t committed_at_ms = 0;
  Transaction tx;
};

struct Record {
  std::string key;
  std::string value;
  uint64_t version = 0;  // 0: the record does not exist (at the read's sequence number)
};

struct Balance {
  std::string account;
  std::string unit;
  bool non_negative = false;
  int64_t amount = 0;
  Seq last_seq = 0;  // last transaction that posted to it (0: opened, never posted)
  bool exists = false;
};

// One posting as seen from its account.
struct AccountMovement {
  Seq seq = 0;
  absl::CivilDay business_date;
  int64_t amount = 0;
  int64_t balance_after = 0;  // balance after this seq (in sequence order)
};

struct Head {
  Seq seq = 0;       // last committed sequence number
  std::string hash;  // its hash (32 zero bytes when seq == 0)
};

// Reads at a sequence number. at_seq == 0 means "the latest committed"; results report the
// sequence number they were read at (as_of_seq), so a caller can pin later reads to it and
// see one consistent snapshot. Reading above the head is INVALID_ARGUMENT.
struct ReadOptions {
  Seq at_seq = 0;
};

struct Page {
  size_t page_size = 100;  // 1..kMaxPageSize
  std::string page_token;  // opaque; empty for the first page
};

struct RecordPage {
  std::vector<Record> records;
  std::string next_page_token;  // empty: no more
  Seq as_of_seq = 0;
};

struct BalancePage {
  std::vector<Balance> balances;
  std::string next_page_token;
  Seq as_of_seq = 0;
};

struct RecordSet {
  std::vector<Record> records;
  Seq as_of_seq = 0;
};

struct BalanceSet {
  std::vector<Balance> balances;
  Seq as_of_seq = 0;
};

struct MovementPage {
  std::vector<AccountMovement> movements;
  std::string next_page_token;
  Seq as_of_seq = 0;
};

struct VerifyReport {
  bool ok = true;
  Seq entries_checked = 0;
  uint64_t accounts_checked = 0;
  Seq first_bad_seq = 0;  // the first journal entry found wrong (0: none, or not an entry)
  std::string problem;    // human-readable; empty when ok
};

// Called for each journal entry in order. Return false to stop watching.
using WatchCallback = std::function<bool(const JournalEntry&)>;
// Polled while the watch waits for new entries; return true to stop.
using StopPredicate = std::function<bool()>;
// Receives what Commit would have returned (see CommitAsync).
using CommitDone = std::function<void(absl::StatusOr<Receipt>)>;

class Ledger {
 public:
  virtual ~Ledger() = default;

  // Commits `tx` atomically and durably, or not at all.
  // Success: the receipt, once the entry is durable. A retry with the same request id and
  //   the same content returns the original receipt with replayed = true.
  // INVALID_ARGUMENT: malformed tx (empty ids, zero amounts, limits …), naming the field.
  // FAILED_PRECONDITION: UNBALANCED, INSUFFICIENT_BALANCE, UNKNOWN_ACCOUNT, ACCOUNT_EXISTS.
  // ABORTED: VERSION_CONFLICT — re-read and retry.
  // ALREADY_EXISTS: REQUEST_ID_REUSED with different content.
  // RESOURCE_EXHAUSTED: QUEUE_FULL. UNAVAILABLE: LEDGER_HALTED or shutting down.
  virtual absl::StatusOr<Receipt> Commit(const Transaction& tx) = 0;

  // Commit without a thread waiting for it: `done` runs exactly once with what Commit would
  // return, on a thread of the ledger's once the entry is durable, or on the caller's thread
  // for an answer that needs no wait (a malformed tx, a full queue). `done` may read and call
  // CommitAsync again (a re-planned retry) but must not wait for a commit, nor block for
  // long: it holds up later answers. This
  // default waits in Commit and then calls `done`, for implementations with nothing better.
  virtual void CommitAsync(Transaction tx, CommitDone done) { done(Commit(tx)); }

  virtual absl::StatusOr<Head> GetHead() = 0;

  // The records under `keys` (in the same order; version 0 for absent ones).
  virtual absl::StatusOr<RecordSet> GetRecords(absl::Span<const std::string> keys,
                                               const ReadOptions& options) = 0;

  // Live records whose key starts with `prefix`, in key order.
  virtual absl::StatusOr<RecordPage> ScanRecords(absl::string_view prefix, const Page& page,
                                                 const ReadOptions& options) = 0;

  // The versions (sequence numbers of the writing transactions) of `key`, oldest first;
  // read each entry with ReadJournal to see what changed.
  virtual absl::StatusOr<std::vector<Seq>> RecordHistory(absl::string_view key,
                                                         const ReadOptions& options) = 0;

  // Balances of `accounts` (same order; exists = false for unknown ones).
  virtual absl::StatusOr<BalanceSet> GetBalances(absl::Span<const std::string> accounts,
                                                 const ReadOptions& options) = 0;

  // Accounts whose id starts with `prefix`, in id order.
  virtual absl::StatusOr<BalancePage> ScanBalances(absl::string_view prefix, const Page& page,
                                                   const ReadOptions& options) = 0;

  // Balances of `accounts` counting only postings whose business date is <= `date`
  // (among transactions committed up to the read's sequence number).
  virtual absl::StatusOr<BalanceSet> GetBalancesAsOfDate(absl::Span<const std::string> accounts,
                                                         absl::CivilDay date,
                                                         const ReadOptions& options) = 0;

  // The postings to `account`, in sequence order.
  virtual absl::StatusOr<MovementPage> AccountHistory(absl::string_view account, const Page& page,
                                                      const ReadOptions& options) = 0;

  // Up to `max_entries` (1..kMaxPageSize) journal entries starting at `from_seq` (>= 1).
  // Fewer (possibly none) when the journal ends sooner.
  virtual absl::StatusOr<std::vector<JournalEntry>> ReadJournal(Seq from_seq,
                                                                size_t max_entries) = 0;

  // Streams the journal from `from_seq`, waiting for new entries, until `on_entry` returns
  // false or `stop` returns true (then OK). Resume after a disconnect by calling again with
  // the last seen seq + 1.
  virtual absl::Status Watch(Seq from_seq, const WatchCallback& on_entry,
                             const StopPredicate& stop) = 0;

  // Re-walks the whole journal: hash chain, gap-free numbering, decodability, and every
  // account balance recomputed from postings. Runs while the ledger serves.
  virtual absl::StatusOr<VerifyReport> Verify() = 0;

  // Writes a consistent online backup (a RocksDB checkpoint) into `directory`, which must
  // not exist. Returns the head included in the backup.
  virtual absl::StatusOr<Head> Backup(const std::string& directory) = 0;
};

// Checks everything about `tx` that does not depend on ledger state: non-empty ids, limits,
// zero amounts, business date range, a key written or checked twice, an account opened
// twice. (Per-unit balance needs the accounts' units, so it is checked at commit.)
// Returns INVALID_ARGUMENT naming the field, or OK. Shared by both implementations so they
// reject alike.
absl::Status ValidateShape(const Transaction& tx);

// True when `text` is valid UTF-8 without control characters: the rule for ids and keys, and
// one services apply to the human-readable text they store in records.
bool IsCleanText(absl::string_view text);

// Validates a Page (page_size range, token form); INVALID_ARGUMENT naming the field.
absl::Status ValidatePage(const Page& page);

// Validates an id a read names (record key, account id, scan prefix): at most kMaxIdBytes,
// valid UTF-8 without control characters (nothing else can have been written), and empty
// only when `allow_empty` (a scan prefix). INVALID_ARGUMENT naming `field`. Both
// implementations call it, so a bad key is rejected alike in-process and over the wire.
absl::Status ValidateReadId(absl::string_view field, absl::string_view id, bool allow_empty);

// ValidateReadId for each of `ids` (at most kMaxKeysPerRead), naming "field[i]".
absl::Status ValidateReadIds(absl::string_view field, absl::Span<const std::string> ids);

}  // namespace reserve::ledger

#endif  // RESERVE_STORAGE_LEDGER_H_

// The ledger's on-disk format. This file is a contract: bytes written by one version must be
// read by every later one. Never renumber a prefix or reorder a field; add a new format
// version instead (kFormatVersion, stored under the meta key "Mformat").
//
// Primitive encodings
//   u8 / u32 / u64      fixed width, big-endian (so encoded sequence numbers sort as numbers)
//   i64                 two's complement, big-endian (values only, never inside keys)
//   str                 u32 length, then the bytes
//   day                 i32 days since 1970-01-01; in values two's complement big-endian,
//                       in keys with the sign bit flipped so that dates sort in time order
//   hash                32 raw bytes of SHA-256
//
// Keys (one RocksDB column family; the first byte names the kind). Ids and keys never
// contain '\0' (ValidateShape rejects it), so '\0' ends a variable-length part.
//   J <seq:u64>                         journal entry                 -> JournalValue
//   A <account id>                      account (current state)       -> AccountValue
//   H <account id> \0 <seq:u64>         one per (account, tx posting) -> HistoryValue
//   D <account id> \0 <day:flipped> <seq:u64>  dated posting          -> i64 net amount
//   R <record key>                      record (current version)      -> RecordValue
//   V <record key> \0 <seq:u64>         a superseded record version   -> VersionValue
//                                       (written when a later write or erase replaces the
//                                       version <seq>; the current version is only in R)
//   Q <request id>                      idempotency                   -> digest:hash, seq:u64
//   Mformat                             format version                -> u32
//   Mhead                               last committed entry          -> seq:u64, hash
//
// Values
//   JournalValue  u8 entry format (1), seq:u64, prev_hash:hash, committed_at_ms:i64,
//                 tx (TxEncoding below), hash:hash
//   TxEncoding    request_id:str kind:str principal:str business_date:day
//                 u32 n, n x (id:str unit:str non_negative:u8)          open_accounts
//                 u32 n, n x (account:str amount:i64)                   postings
//                 u32 n, n x (key:str expected_version:u64 value:str erase:u8)   writes
//                 u32 n, n x (key:str expected_version:u64)             checks
//                 memo:str
//                 This is the canonical encoding of a transaction: its SHA-256 is the
//                 transaction digest, used for idempotency (same request id, same digest).
//   AccountValue  unit:str non_negative:u8 balance:i64 last_seq:u64 opened_seq:u64
//   HistoryValue  amount:i64 (net of the tx's postings to the account) balance_after:i64
//                 business_date:day
//   RecordValue   version:u64 erased:u8 value:str      (version = seq of the last write)
//   VersionValue  erased:u8 value:str
//
// Hash chain
//   entry hash = SHA-256(prev_hash || seq:u64 || committed_at_ms:i64 || tx digest)
//   where tx digest = SHA-256(TxEncoding bytes). prev_hash of seq 1 is 32 zero bytes.
//   Hashing the digest rather than the whole entry lets callers hash their transaction on
//   their own thread while the single writer hashes 80 bytes per entry; a changed byte
//   anywhere in the entry still changes the digest, the hash, or fails the seq/link check.
//
// Every Decode* function validates lengths against the remaining input and the ledger's
// limits, and returns DATA_LOSS (never crashes) on malformed bytes.
#ifndef RESERVE_STORAGE_CODEC_H_
#define RESERVE_STORAGE_CODEC_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "storage/ledger.h"

namespace reserve::ledger::codec {

// Format 2 (this one) keeps only superseded record versions under V (see the key table);
// format 1 also kept the current one there. A format 1 store is read as is and marked 2 on
// open.
inline constexpr uint32_t kFormatVersion = 2;
inline constexpr uint32_t kOldestReadableFormat = 1;
inline constexpr uint8_t kEntryFormat = 1;
inline constexpr size_t kHashBytes = 32;

inline constexpr char kJournalPrefix = 'J';
inline constexpr char kAccountPrefix = 'A';
inline constexpr char kHistoryPrefix = 'H';
inline constexpr char kDatedPrefix = 'D';
inline constexpr char kRecordPrefix = 'R';
inline constexpr char kVersionPrefix = 'V';
inline constexpr char kRequestPrefix = 'Q';
inline constexpr absl::string_view kFormatKey = "Mformat";
inline constexpr absl::string_view kHeadKey = "Mhead";

// ---- hashing ----
std::string Sha256(absl::string_view data);
// The chained entry hash (see the file comment).
std::string EntryHash(absl::string_view prev_hash, Seq seq, int64_t committed_at_ms,
                      absl::string_view tx_digest);
std::string ZeroHash();

// ---- primitive appenders (exposed for tests and the ledger's own small values) ----
void PutU8(std::string* out, uint8_t v);
void PutU32(std::string* out, uint32_t v);
void PutU64(std::string* out, uint64_t v);
void PutI64(std::string* out, int64_t v);
void PutStr(std::string* out, absl::string_view s);
int32_t DayNumber(absl::CivilDay day);
absl::CivilDay DayFromNumber(int32_t n);

// Reads primitives from a byte string; every Get* returns false once the input is short.
class Reader {
 public:
  explicit Reader(absl::string_view in) : in_(in) {}
  bool GetU8(uint8_t* v);
  bool GetU32(uint32_t* v);
  bool GetU64(uint64_t* v);
  bool GetI64(int64_t* v);
  bool GetDay(absl::CivilDay* day);
  // Fails when the length prefix exceeds `max_len` or the remaining input.
  bool GetStr(size_t max_len, std::string* s);
  bool GetBytes(size_t n, absl::string_view* s);
  bool done() const { return in_.empty(); }
  size_t remaining() const { return in_.size(); }

 private:
  absl::string_view in_;
};

// ---- keys ----
std::string JournalKey(Seq seq);
std::string AccountKey(absl::string_view account);
std::string HistoryPrefix(absl::string_view account);  // H account \0
std::string HistoryKey(absl::string_view account, Seq seq);
std::string DatedPrefix(absl::string_view account);  // D account \0
std::string DatedKey(absl::string_view account, absl::CivilDay day, Seq seq);
std::string RecordKey(absl::string_view key);
std::string VersionPrefix(absl::string_view key);  // V key \0
std::string VersionKey(absl::string_view key, Seq seq);
std::string RequestKey(absl::string_view request_id);
// The last 8 bytes of a J/H/V/D key as a sequence number (0 when too short).
Seq TrailingSeq(absl::string_view key);
// The date inside a D key (given its account prefix length).
bool DatedKeyParts(absl::string_view key, size_t prefix_len, absl::CivilDay* day, Seq* seq);

// ---- transactions and journal entries ----
std::string EncodeTransaction(const Transaction& tx);
absl::StatusOr<Transaction> DecodeTransaction(absl::string_view bytes);

// A journal value: header + tx bytes + hash.
std::string EncodeJournalValue(Seq seq, absl::string_view prev_hash, int64_t committed_at_ms,
                               absl::string_view tx_bytes, absl::string_view hash);

// A decoded journal value whose parts are views into the input.
struct JournalView {
  Seq seq = 0;
  absl::string_view prev_hash;
  int64_t committed_at_ms = 0;
  absl::string_view tx_bytes;
  absl::string_view hash;
};
// Splits a journal value without decoding the transaction (cheap).
absl::StatusOr<JournalView> SplitJournalValue(absl::string_view value);
// Fully decodes a journal value (transaction included).
absl::StatusOr<JournalEntry> DecodeJournalValue(absl::string_view value);

// ---- small values ----
struct AccountValue {
  std::string unit;
  bool non_negative = false;
  int64_t balance = 0;
  Seq last_seq = 0;
  Seq opened_seq = 0;
};
std::string EncodeAccount(const AccountValue& a);
absl::StatusOr<AccountValue> DecodeAccount(absl::string_view bytes);

struct HistoryValue {
  int64_t amount = 0;
  int64_t balance_after = 0;
  absl::CivilDay business_date;
};
std::string EncodeHistory(const HistoryValue& h);
absl::StatusOr<HistoryValue> DecodeHistory(absl::string_view bytes);

struct RecordValue {
  Seq version = 0;
  bool erased = false;
  std::string value;
};
std::string EncodeRecord(const RecordValue& r);
absl::StatusOr<RecordValue> DecodeRecord(absl::string_view bytes);

struct VersionValue {
  bool erased = false;
  std::string value;
};
std::string EncodeVersion(const VersionValue& v);
absl::StatusOr<VersionValue> DecodeVersion(absl::string_view bytes);

struct RequestValue {
  std::string digest;
  Seq seq = 0;
};
std::string EncodeRequest(const RequestValue& q);
absl::StatusOr<RequestValue> DecodeRequest(absl::string_view bytes);

std::string EncodeHead(const Head& head);
absl::StatusOr<Head> DecodeHead(absl::string_view bytes);

std::string EncodeI64(int64_t v);
absl::StatusOr<int64_t> DecodeI64(absl::string_view bytes);

}  // namespace reserve::ledger::codec

#endif  // RESERVE_STORAGE_CODEC_H_

#include "storage/codec.h"

#include <openssl/evp.h>

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"

namespace reserve::ledger::codec {
namespace {

const absl::CivilDay kEpoch(1970, 1, 1);

void Store32(char* p, uint32_t v) {
  for (int i = 3; i >= 0; --i, v >>= 8) p[i] = static_cast<char>(v & 0xff);
}
void Store64(char* p, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<char>(v & 0xff);
}
uint32_t Load32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
uint64_t Load64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("corrupt ", what));
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// Hashes the concatenation of `parts`. OpenSSL failures here mean the process is broken
// (out of memory), never bad input: abort rather than chain a wrong hash.
std::string Sha256Of(std::initializer_list<absl::string_view> parts) {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1;
  for (absl::string_view part : parts) {
    ok = ok && EVP_DigestUpdate(ctx.get(), part.data(), part.size()) == 1;
  }
  ok = ok && EVP_DigestFinal_ex(ctx.get(), out, &out_len) == 1;
  if (!ok || out_len != kHashBytes) {
    std::abort();
  }
  return std::string(reinterpret_cast<const char*>(out), out_len);
}

std::string SeqBytes(uint64_t v) {
  std::string s;
  PutU64(&s, v);
  return s;
}

std::string KeyWithSeq(char prefix, absl::string_view id, Seq seq) {
  std::string k;
  k.reserve(id.size() + 10);
  k.push_back(prefix);
  k.append(id.data(), id.size());
  k.push_back('\0');
  PutU64(&k, seq);
  return k;
}

std::string PrefixedId(char prefix, absl::string_view id, bool terminated) {
  std::string k;
  k.reserve(id.size() + 2);
  k.push_back(prefix);
  k.append(id.data(), id.size());
  if (terminated) {
    k.push_back('\0');
  }
  return k;
}

}  // namespace

// ---- hashing ----
std::string Sha256(absl::string_view data) { return Sha256Of({data}); }

std::string EntryHash(absl::string_view prev_hash, Seq seq, int64_t committed_at_ms,
                      absl::string_view tx_digest) {
  char header[16];
  Store64(header, seq);
  Store64(header + 8, static_cast<uint64_t>(committed_at_ms));
  return Sha256Of({prev_hash, absl::string_view(header, sizeof(header)), tx_digest});
}

std::string ZeroHash() { return std::string(kHashBytes, '\0'); }

// ---- primitives ----
void PutU8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }

void PutU32(std::string* out, uint32_t v) {
  char buf[4];
  Store32(buf, v);
  out->append(buf, 4);
}

void PutU64(std::string* out, uint64_t v) {
  char buf[8];
  Store64(buf, v);
  out->append(buf, 8);
}

void PutI64(std::string* out, int64_t v) { PutU64(out, static_cast<uint64_t>(v)); }

void PutStr(std::string* out, absl::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s.data(), s.size());
}

int32_t DayNumber(absl::CivilDay day) { return static_cast<int32_t>(day - kEpoch); }

absl::CivilDay DayFromNumber(int32_t n) { return kEpoch + n; }

bool Reader::GetU8(uint8_t* v) {
  if (in_.size() < 1) return false;
  *v = static_cast<uint8_t>(in_[0]);
  in_.remove_prefix(1);
  return true;
}

bool Reader::GetU32(uint32_t* v) {
  if (in_.size() < 4) return false;
  *v = Load32(in_.data());
  in_.remove_prefix(4);
  return true;
}

bool Reader::GetU64(uint64_t* v) {
  if (in_.size() < 8) return false;
  *v = Load64(in_.data());
  in_.remove_prefix(8);
  return true;
}

bool Reader::GetI64(int64_t* v) {
  uint64_t u;
  if (!GetU64(&u)) return false;
  *v = static_cast<int64_t>(u);
  return true;
}

bool Reader::GetDay(absl::CivilDay* day) {
  uint32_t u;
  if (!GetU32(&u)) return false;
  int32_t n = static_cast<int32_t>(u);
  // Keep dates within a sane window so CivilDay arithmetic cannot misbehave.
  if (n < DayNumber(kMinBusinessDate) || n > DayNumber(kMaxBusinessDate)) return false;
  *day = DayFromNumber(n);
  return true;
}

bool Reader::GetStr(size_t max_len, std::string* s) {
  uint32_t len;
  if (!GetU32(&len)) return false;
  if (len > max_len || len > in_.size()) return false;
  s->assign(in_.data(), len);
  in_.remove_prefix(len);
  return true;
}

bool Reader::GetBytes(size_t n, absl::string_view* s) {
  if (n > in_.size()) return false;
  *s = in_.substr(0, n);
  in_.remove_prefix(n);
  return true;
}

// ---- keys ----
std::string JournalKey(Seq seq) {
  std::string k(1, kJournalPrefix);
  PutU64(&k, seq);
  return k;
}
std::string AccountKey(absl::string_view account) {
  return PrefixedId(kAccountPrefix, account, false);
}
std::string HistoryPrefix(absl::string_view account) {
  return PrefixedId(kHistoryPrefix, account, true);
}
std::string HistoryKey(absl::string_view account, Seq seq) {
  return KeyWithSeq(kHistoryPrefix, account, seq);
}
std::string DatedPrefix(absl::string_view account) {
  return PrefixedId(kDatedPrefix, account, true);
}
std::string DatedKey(absl::string_view account, absl::CivilDay day, Seq seq) {
  std::string k = DatedPrefix(account);
  PutU32(&k, static_cast<uint32_t>(DayNumber(day)) ^ 0x80000000u);
  PutU64(&k, seq);
  return k;
}
std::string RecordKey(absl::string_view key) { return PrefixedId(kRecordPrefix, key, false); }
std::string VersionPrefix(absl::string_view key) { return PrefixedId(kVersionPrefix, key, true); }
std::string VersionKey(absl::string_view key, Seq seq) {
  return KeyWithSeq(kVersionPrefix, key, seq);
}
std::string RequestKey(absl::string_view request_id) {
  return PrefixedId(kRequestPrefix, request_id, false);
}

Seq TrailingSeq(absl::string_view key) {
  if (key.size() < 8) return 0;
  return Load64(key.data() + key.size() - 8);
}

bool DatedKeyParts(absl::string_view key, size_t prefix_len, absl::CivilDay* day, Seq* seq) {
  if (key.size() != prefix_len + 12) return false;
  uint32_t flipped = Load32(key.data() + prefix_len);
  *day = DayFromNumber(static_cast<int32_t>(flipped ^ 0x80000000u));
  *seq = Load64(key.data() + prefix_len + 4);
  return true;
}

// ---- transactions ----
std::string EncodeTransaction(const Transaction& tx) {
  size_t size = 64 + tx.request_id.size() + tx.kind.size() + tx.principal.size() + tx.memo.size();
  for (const auto& a : tx.open_accounts) size += 9 + a.id.size() + a.unit.size();
  for (const auto& p : tx.postings) size += 12 + p.account.size();
  for (const auto& w : tx.writes) size += 17 + w.key.size() + w.value.size();
  for (const auto& c : tx.checks) size += 12 + c.key.size();
  std::string out;
  out.reserve(size);
  PutStr(&out, tx.request_id);
  PutStr(&out, tx.kind);
  PutStr(&out, tx.principal);
  PutU32(&out, static_cast<uint32_t>(DayNumber(tx.business_date)));
  PutU32(&out, static_cast<uint32_t>(tx.open_accounts.size()));
  for (const auto& a : tx.open_accounts) {
    PutStr(&out, a.id);
    PutStr(&out, a.unit);
    PutU8(&out, a.non_negative ? 1 : 0);
  }
  PutU32(&out, static_cast<uint32_t>(tx.postings.size()));
  for (const auto& p : tx.postings) {
    PutStr(&out, p.account);
    PutI64(&out, p.amount);
  }
  PutU32(&out, static_cast<uint32_t>(tx.writes.size()));
  for (const auto& w : tx.writes) {
    PutStr(&out, w.key);
    PutU64(&out, w.expected_version);
    PutStr(&out, w.value);
    PutU8(&out, w.erase ? 1 : 0);
  }
  PutU32(&out, static_cast<uint32_t>(tx.checks.size()));
  for (const auto& c : tx.checks) {
    PutStr(&out, c.key);
    PutU64(&out, c.expected_version);
  }
  PutStr(&out, tx.memo);
  return out;
}

namespace {
bool GetBool(Reader* r, bool* b) {
  uint8_t v;
  if (!r->GetU8(&v) || v > 1) return false;
  *b = v == 1;
  return true;
}

// Reads a count and checks it against the limit; each element takes at least `min_bytes`,
// so a huge count in a short input fails before anything is allocated.
bool GetCount(Reader* r, size_t limit, size_t min_bytes, uint32_t* n) {
  if (!r->GetU32(n)) return false;
  return *n <= limit && static_cast<uint64_t>(*n) * min_bytes <= r->remaining();
}
}  // namespace

absl::StatusOr<Transaction> DecodeTransaction(absl::string_view bytes) {
  Reader r(bytes);
  Transaction tx;
  uint32_t n = 0;
  if (!r.GetStr(kMaxIdBytes, &tx.request_id) || !r.GetStr(kMaxKindBytes, &tx.kind) ||
      !r.GetStr(kMaxIdBytes, &tx.principal) || !r.GetDay(&tx.business_date)) {
    return Corrupt("transaction header");
  }
  if (!GetCount(&r, kMaxOpenAccounts, 9, &n)) return Corrupt("transaction open_accounts");
  tx.open_accounts.resize(n);
  for (auto& a : tx.open_accounts) {
    if (!r.GetStr(kMaxIdBytes, &a.id) || !r.GetStr(kMaxUnitBytes, &a.unit) ||
        !GetBool(&r, &a.non_negative)) {
      return Corrupt("transaction open_accounts");
    }
  }
  if (!GetCount(&r, kMaxPostings, 12, &n)) return Corrupt("transaction postings");
  tx.postings.resize(n);
  for (auto& p : tx.postings) {
    if (!r.GetStr(kMaxIdBytes, &p.account) || !r.GetI64(&p.amount)) {
      return Corrupt("transaction postings");
    }
  }
  if (!GetCount(&r, kMaxWrites, 17, &n)) return Corrupt("transaction writes");
  tx.writes.resize(n);
  for (auto& w : tx.writes) {
    if (!r.GetStr(kMaxIdBytes, &w.key) || !r.GetU64(&w.expected_version) ||
        !r.GetStr(kMaxRecordBytes, &w.value) || !GetBool(&r, &w.erase)) {
      return Corrupt("transaction writes");
    }
  }
  if (!GetCount(&r, kMaxChecks, 12, &n)) return Corrupt("transaction checks");
  tx.checks.resize(n);
  for (auto& c : tx.checks) {
    if (!r.GetStr(kMaxIdBytes, &c.key) || !r.GetU64(&c.expected_version)) {
      return Corrupt("transaction checks");
    }
  }
  if (!r.GetStr(kMaxMemoBytes, &tx.memo) || !r.done()) return Corrupt("transaction memo");
  return tx;
}

std::string EncodeJournalValue(Seq seq, absl::string_view prev_hash, int64_t committed_at_ms,
                               absl::string_view tx_bytes, absl::string_view hash) {
  std::string out;
  out.reserve(1 + 8 + kHashBytes + 8 + tx_bytes.size() + kHashBytes);
  PutU8(&out, kEntryFormat);
  PutU64(&out, seq);
  out.append(prev_hash.data(), prev_hash.size());
  PutI64(&out, committed_at_ms);
  out.append(tx_bytes.data(), tx_bytes.size());
  out.append(hash.data(), hash.size());
  return out;
}

absl::StatusOr<JournalView> SplitJournalValue(absl::string_view value) {
  Reader r(value);
  JournalView v;
  uint8_t format;
  if (!r.GetU8(&format) || format != kEntryFormat) return Corrupt("journal entry format");
  if (!r.GetU64(&v.seq) || !r.GetBytes(kHashBytes, &v.prev_hash) || !r.GetI64(&v.committed_at_ms) ||
      r.remaining() < kHashBytes) {
    return Corrupt("journal entry header");
  }
  if (!r.GetBytes(r.remaining() - kHashBytes, &v.tx_bytes) || !r.GetBytes(kHashBytes, &v.hash)) {
    return Corrupt("journal entry");
  }
  return v;
}

absl::StatusOr<JournalEntry> DecodeJournalValue(absl::string_view value) {
  absl::StatusOr<JournalView> view = SplitJournalValue(value);
  if (!view.ok()) return view.status();
  absl::StatusOr<Transaction> tx = DecodeTransaction(view->tx_bytes);
  if (!tx.ok()) return tx.status();
  JournalEntry e;
  e.seq = view->seq;
  e.prev_hash = std::string(view->prev_hash);
  e.hash = std::string(view->hash);
  e.committed_at_ms = view->committed_at_ms;
  e.tx = *std::move(tx);
  return e;
}

// ---- small values ----
std::string EncodeAccount(const AccountValue& a) {
  std::string out;
  out.reserve(4 + a.unit.size() + 25);
  PutStr(&out, a.unit);
  PutU8(&out, a.non_negative ? 1 : 0);
  PutI64(&out, a.balance);
  PutU64(&out, a.last_seq);
  PutU64(&out, a.opened_seq);
  return out;
}

absl::StatusOr<AccountValue> DecodeAccount(absl::string_view bytes) {
  Reader r(bytes);
  AccountValue a;
  if (!r.GetStr(kMaxUnitBytes, &a.unit) || !GetBool(&r, &a.non_negative) || !r.GetI64(&a.balance) ||
      !r.GetU64(&a.last_seq) || !r.GetU64(&a.opened_seq) || !r.done()) {
    return Corrupt("account value");
  }
  return a;
}

std::string EncodeHistory(const HistoryValue& h) {
  std::string out;
  out.reserve(20);
  PutI64(&out, h.amount);
  PutI64(&out, h.balance_after);
  PutU32(&out, static_cast<uint32_t>(DayNumber(h.business_date)));
  return out;
}

absl::StatusOr<HistoryValue> DecodeHistory(absl::string_view bytes) {
  Reader r(bytes);
  HistoryValue h;
  if (!r.GetI64(&h.amount) || !r.GetI64(&h.balance_after) || !r.GetDay(&h.business_date) ||
      !r.done()) {
    return Corrupt("balance history value");
  }
  return h;
}

std::string EncodeRecord(const RecordValue& v) {
  std::string out;
  out.reserve(13 + v.value.size());
  PutU64(&out, v.version);
  PutU8(&out, v.erased ? 1 : 0);
  PutStr(&out, v.value);
  return out;
}

absl::StatusOr<RecordValue> DecodeRecord(absl::string_view bytes) {
  Reader r(bytes);
  RecordValue v;
  if (!r.GetU64(&v.version) || !GetBool(&r, &v.erased) || !r.GetStr(kMaxRecordBytes, &v.value) ||
      !r.done()) {
    return Corrupt("record value");
  }
  return v;
}

std::string EncodeVersion(const VersionValue& v) {
  std::string out;
  out.reserve(5 + v.value.size());
  PutU8(&out, v.erased ? 1 : 0);
  PutStr(&out, v.value);
  return out;
}

absl::StatusOr<VersionValue> DecodeVersion(absl::string_view bytes) {
  Reader r(bytes);
  VersionValue v;
  if (!GetBool(&r, &v.erased) || !r.GetStr(kMaxRecordBytes, &v.value) || !r.done()) {
    return Corrupt("record version value");
  }
  return v;
}

std::string EncodeRequest(const RequestValue& q) {
  std::string out = q.digest;
  PutU64(&out, q.seq);
  return out;
}

absl::StatusOr<RequestValue> DecodeRequest(absl::string_view bytes) {
  Reader r(bytes);
  absl::string_view digest;
  RequestValue q;
  if (!r.GetBytes(kHashBytes, &digest) || !r.GetU64(&q.seq) || !r.done()) {
    return Corrupt("request id value");
  }
  q.digest = std::string(digest);
  return q;
}

std::string EncodeHead(const Head& head) {
  std::string out = SeqBytes(head.seq);
  out.append(head.hash);
  return out;
}

absl::StatusOr<Head> DecodeHead(absl::string_view bytes) {
  Reader r(bytes);
  Head head;
  absl::string_view hash;
  if (!r.GetU64(&head.seq) || !r.GetBytes(kHashBytes, &hash) || !r.done()) {
    return Corrupt("head value");
  }
  head.hash = std::string(hash);
  return head;
}

std::string EncodeI64(int64_t v) {
  std::string out;
  PutI64(&out, v);
  return out;
}

absl::StatusOr<int64_t> DecodeI64(absl::string_view bytes) {
  Reader r(bytes);
  int64_t v;
  if (!r.GetI64(&v) || !r.done()) return Corrupt("dated posting value");
  return v;
}

}  // namespace reserve::ledger::codec

#include "storage/codec.h"

#include <cstdlib>
#include <random>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace reserve::ledger::codec {
namespace {

Transaction Sample() {
  Transaction tx;
  tx.request_id = "req-1";
  tx.kind = "inventory.acquire";
  tx.principal = "admin:alice";
  tx.business_date = absl::CivilDay(1965, 3, 4);
  tx.open_accounts = {{"cu/depot-1", "g:CU", true}, {"cny/budget", "CNY", false}};
  tx.postings = {{"cu/depot-1", 5'000'000},
                 {"cu/source", -5'000'000},
                 {"x", std::numeric_limits<int64_t>::min()}};
  tx.writes = {{"lot/1", 0, std::string("bytes\0\xff", 7), false}, {"lot/2", 7, "", true}};
  tx.checks = {{"depot/1", 3}};
  tx.memo = "first acquisition\n第一";
  return tx;
}

TEST(CodecTest, TransactionRoundTrips) {
  Transaction tx = Sample();
  std::string bytes = EncodeTransaction(tx);
  absl::StatusOr<Transaction> back = DecodeTransaction(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, tx);
  EXPECT_EQ(EncodeTransaction(*back), bytes);  // canonical
  Transaction empty;
  empty.business_date = absl::CivilDay(2024, 1, 1);
  ASSERT_TRUE(DecodeTransaction(EncodeTransaction(empty)).ok());
}

TEST(CodecTest, EncodingIsBigEndianAndLengthPrefixed) {
  Transaction tx;
  tx.request_id = "ab";
  tx.business_date = absl::CivilDay(1970, 1, 2);
  std::string bytes = EncodeTransaction(tx);
  ASSERT_GE(bytes.size(), 18u);
  EXPECT_EQ(bytes.substr(0, 6), std::string("\0\0\0\2ab", 6));
  // kind "", principal "", then day 1 as i32 big-endian.
  EXPECT_EQ(bytes.substr(6, 12), std::string("\0\0\0\0\0\0\0\0\0\0\0\1", 12));
}

TEST(CodecTest, KeysSortBySeqAndDate) {
  EXPECT_LT(JournalKey(9), JournalKey(10));
  EXPECT_LT(JournalKey(255), JournalKey(256));
  EXPECT_LT(HistoryKey("a", 2), HistoryKey("a", 300));
  EXPECT_LT(HistoryKey("a", 99), HistoryKey("ab", 1));  // '\0' ends the id
  EXPECT_LT(DatedKey("a", absl::CivilDay(1960, 1, 1), 9),
            DatedKey("a", absl::CivilDay(1970, 1, 1), 1));
  EXPECT_LT(DatedKey("a", absl::CivilDay(1969, 12, 31), 9),
            DatedKey("a", absl::CivilDay(1970, 1, 1), 1));
  EXPECT_LT(DatedKey("a", absl::CivilDay(2024, 1, 1), 9),
            DatedKey("a", absl::CivilDay(2024, 1, 2), 1));
  EXPECT_EQ(TrailingSeq(JournalKey(123456789)), 123456789u);
  absl::CivilDay day;
  Seq seq;
  std::string k = DatedKey("acct", absl::CivilDay(1955, 6, 7), 42);
  ASSERT_TRUE(DatedKeyParts(k, DatedPrefix("acct").size(), &day, &seq));
  EXPECT_EQ(day, absl::CivilDay(1955, 6, 7));
  EXPECT_EQ(seq, 42u);
  EXPECT_EQ(JournalKey(1), std::string("J\0\0\0\0\0\0\0\1", 9));
}

TEST(CodecTest, JournalValueRoundTripsAndHashesChain) {
  std::string tx_bytes = EncodeTransaction(Sample());
  std::string digest = Sha256(tx_bytes);
  std::string hash = EntryHash(ZeroHash(), 1, 1700000000000, digest);
  EXPECT_EQ(hash.size(), kHashBytes);
  EXPECT_NE(hash, EntryHash(ZeroHash(), 2, 1700000000000, digest));
  EXPECT_NE(hash, EntryHash(ZeroHash(), 1, 1700000000001, digest));
  EXPECT_NE(hash, EntryHash(hash, 1, 1700000000000, digest));
  std::string value = EncodeJournalValue(1, ZeroHash(), 1700000000000, tx_bytes, hash);
  absl::StatusOr<JournalEntry> e = DecodeJournalValue(value);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->seq, 1u);
  EXPECT_EQ(e->prev_hash, ZeroHash());
  EXPECT_EQ(e->hash, hash);
  EXPECT_EQ(e->committed_at_ms, 1700000000000);
  EXPECT_EQ(e->tx, Sample());
}

// ValidateShape's size limit counts exactly the bytes of this encoding.
TEST(CodecTest, ValidateShapeSizeLimitMatchesTheEncoding) {
  Transaction tx = Sample();
  tx.writes.clear();
  for (int i = 0; EncodeTransaction(tx).size() + kMaxRecordBytes < kMaxTransactionBytes; ++i) {
    tx.writes.push_back({"big/" + std::to_string(i), 0, std::string(kMaxRecordBytes, 'v'), false});
  }
  size_t room = kMaxTransactionBytes - EncodeTransaction(tx).size();
  ASSERT_LT(room, kMaxRecordBytes);
  tx.writes.push_back({"last", 0, std::string(room - 21, 'v'), false});  // 4+4 key, 8, 4, 1
  ASSERT_EQ(EncodeTransaction(tx).size(), kMaxTransactionBytes);
  EXPECT_TRUE(ValidateShape(tx).ok()) << ValidateShape(tx);
  tx.writes.back().value.push_back('v');
  EXPECT_EQ(ValidateShape(tx).code(), absl::StatusCode::kInvalidArgument);
}

TEST(CodecTest, KnownSha256) {
  // FIPS 180-2 test vector "abc".
  EXPECT_EQ(absl::BytesToHexString(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CodecTest, SmallValuesRoundTrip) {
  AccountValue a{"g:CU", true, -42, 7, 3};
  absl::StatusOr<AccountValue> a2 = DecodeAccount(EncodeAccount(a));
  ASSERT_TRUE(a2.ok());
  EXPECT_EQ(a2->unit, "g:CU");
  EXPECT_TRUE(a2->non_negative);
  EXPECT_EQ(a2->balance, -42);
  EXPECT_EQ(a2->last_seq, 7u);
  EXPECT_EQ(a2->opened_seq, 3u);
  absl::StatusOr<HistoryValue> h =
      DecodeHistory(EncodeHistory({-5, 10, absl::CivilDay(2020, 2, 29)}));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->amount, -5);
  EXPECT_EQ(h->balance_after, 10);
  EXPECT_EQ(h->business_date, absl::CivilDay(2020, 2, 29));
  absl::StatusOr<RecordValue> r = DecodeRecord(EncodeRecord({9, false, "v"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->version, 9u);
  EXPECT_EQ(r->value, "v");
  absl::StatusOr<VersionValue> v = DecodeVersion(EncodeVersion({true, ""}));
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->erased);
  absl::StatusOr<RequestValue> q = DecodeRequest(EncodeRequest({Sha256("x"), 77}));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->seq, 77u);
  absl::StatusOr<Head> head = DecodeHead(EncodeHead({5, Sha256("y")}));
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->seq, 5u);
  EXPECT_EQ(*DecodeI64(EncodeI64(-9)), -9);
}

TEST(CodecTest, EveryTruncationIsAnErrorNotACrash) {
  std::string tx_bytes = EncodeTransaction(Sample());
  for (size_t n = 0; n < tx_bytes.size(); ++n) {
    EXPECT_EQ(DecodeTransaction(tx_bytes.substr(0, n)).status().code(), absl::StatusCode::kDataLoss)
        << n;
  }
  std::string value = EncodeJournalValue(3, ZeroHash(), 1, tx_bytes, Sha256("h"));
  for (size_t n = 0; n < value.size(); ++n) {
    EXPECT_FALSE(DecodeJournalValue(value.substr(0, n)).ok()) << n;
  }
  std::string account = EncodeAccount({"CNY", false, 1, 2, 3});
  for (size_t n = 0; n < account.size(); ++n) {
    EXPECT_FALSE(DecodeAccount(account.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(DecodeAccount(account + "x").ok());  // trailing bytes
  EXPECT_FALSE(DecodeTransaction(tx_bytes + "x").ok());
}

TEST(CodecTest, LengthOverflowIsAnError) {
  std::string bytes;
  PutU32(&bytes, 0xFFFFFFFFu);  // request id length far beyond the input
  bytes += "abc";
  EXPECT_EQ(DecodeTransaction(bytes).status().code(), absl::StatusCode::kDataLoss);
  // A huge element count in a short input fails before allocating.
  Transaction tx;
  tx.business_date = absl::CivilDay(2024, 1, 1);
  std::string ok = EncodeTransaction(tx);
  std::string huge = ok.substr(0, 16);
  PutU32(&huge, 0x7FFFFFFFu);
  EXPECT_EQ(DecodeTransaction(huge).status().code(), absl::StatusCode::kDataLoss);
  // Booleans are 0 or 1 only.
  std::string account = EncodeAccount({"CNY", false, 1, 2, 3});
  account[7] = 2;
  EXPECT_FALSE(DecodeAccount(account).ok());
}

TEST(CodecTest, RandomGarbageNeverCrashes) {
  unsigned seed = std::random_device{}();
  if (const char* env = std::getenv("RESERVE_SEED")) seed = std::strtoul(env, nullptr, 10);
  std::printf("RandomGarbageNeverCrashes seed=%u\n", seed);
  std::mt19937 rng(seed);
  std::string base = EncodeJournalValue(3, ZeroHash(), 1, EncodeTransaction(Sample()), Sha256("h"));
  for (int i = 0; i < 20000; ++i) {
    std::string s = base;
    int flips = 1 + rng() % 4;
    for (int k = 0; k < flips; ++k) s[rng() % s.size()] = static_cast<char>(rng());
    if (rng() % 4 == 0) s.resize(rng() % s.size());
    (void)DecodeJournalValue(s);
    std::string junk(rng() % 64, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    (void)DecodeTransaction(junk);
    (void)DecodeAccount(junk);
    (void)DecodeHistory(junk);
    (void)DecodeRecord(junk);
    (void)DecodeVersion(junk);
    (void)DecodeRequest(junk);
    (void)DecodeHead(junk);
  }
}

}  // namespace
}  // namespace reserve::ledger::codec

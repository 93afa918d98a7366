#include <string>

#include "gtest/gtest.h"
#include "storage/errors.h"
#include "storage/ledger.h"

namespace reserve::ledger {
namespace {

Transaction Valid() {
  Transaction tx;
  tx.request_id = "req-1";
  tx.kind = "inventory.acquire";
  tx.principal = "admin:alice";
  tx.business_date = absl::CivilDay(2024, 5, 1);
  tx.open_accounts = {{"cu/a", "g:CU", true}};
  tx.postings = {{"cu/a", 5}, {"cu/b", -5}};
  tx.writes = {{"lot/1", 0, "v", false}, {"lot/2", 4, "", true}};
  tx.checks = {{"depot/1", 2}};
  tx.memo = "ok\nwith newline, tab\t and ünïcödé";
  return tx;
}

void ExpectField(const Transaction& tx, absl::string_view field) {
  absl::Status s = ValidateShape(tx);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s).value_or("<none>"), field) << s;
}

TEST(ValidateShapeTest, AcceptsAValidTransaction) {
  EXPECT_TRUE(ValidateShape(Valid()).ok()) << ValidateShape(Valid());
  Transaction bare = Valid();
  bare.open_accounts.clear();
  bare.postings.clear();
  bare.writes.clear();
  bare.checks.clear();
  bare.memo.clear();
  EXPECT_TRUE(ValidateShape(bare).ok());
  Transaction edge = Valid();
  edge.business_date = kMinBusinessDate;
  edge.request_id = std::string(kMaxIdBytes, 'x');
  EXPECT_TRUE(ValidateShape(edge).ok());
  edge.business_date = kMaxBusinessDate;
  EXPECT_TRUE(ValidateShape(edge).ok());
}

TEST(ValidateShapeTest, NamesTheField) {
  Transaction t = Valid();
  t.request_id = "";
  ExpectField(t, "request_id");
  t = Valid();
  t.request_id = std::string(kMaxIdBytes + 1, 'x');
  ExpectField(t, "request_id");
  t = Valid();
  t.request_id = std::string("a\0b", 3);
  ExpectField(t, "request_id");
  t = Valid();
  t.request_id = "tab\there";
  ExpectField(t, "request_id");
  t = Valid();
  t.request_id = "\xc3\x28";  // invalid UTF-8
  ExpectField(t, "request_id");
  t = Valid();
  t.request_id = "\xc0\xaf";  // overlong
  ExpectField(t, "request_id");
  t = Valid();
  t.kind = std::string(kMaxKindBytes + 1, 'k');
  ExpectField(t, "kind");
  t = Valid();
  t.principal = "";
  ExpectField(t, "principal");
  t = Valid();
  t.business_date = kMinBusinessDate - 1;
  ExpectField(t, "business_date");
  t = Valid();
  t.memo = std::string(kMaxMemoBytes + 1, 'm');
  ExpectField(t, "memo");
  t = Valid();
  t.memo = "\xff";
  ExpectField(t, "memo");
  t = Valid();
  t.open_accounts.push_back({"cu/a", "g:CU", true});
  ExpectField(t, "open_accounts[1].id");
  t = Valid();
  t.open_accounts[0].unit = std::string(kMaxUnitBytes + 1, 'u');
  ExpectField(t, "open_accounts[0].unit");
  t = Valid();
  t.open_accounts.assign(kMaxOpenAccounts + 1, AccountSpec{"x", "u", false});
  ExpectField(t, "open_accounts");
  t = Valid();
  t.postings[1].amount = 0;
  ExpectField(t, "postings[1].amount");
  t = Valid();
  t.postings[0].account = "";
  ExpectField(t, "postings[0].account");
  t = Valid();
  t.writes[1].key = t.writes[0].key;
  ExpectField(t, "writes[1].key");
  t = Valid();
  t.writes[1].value = "x";
  ExpectField(t, "writes[1].value");
  t = Valid();
  t.writes[1].expected_version = 0;
  ExpectField(t, "writes[1].expected_version");
  t = Valid();
  t.writes[0].value = std::string(kMaxRecordBytes + 1, 'v');
  ExpectField(t, "writes[0].value");
  t = Valid();
  t.checks[0].key = "lot/1";
  ExpectField(t, "checks[0].key");
  t = Valid();
  t.checks.assign(kMaxChecks + 1, RecordCheck{"c", 1});
  ExpectField(t, "checks");
  t = Valid();
  t.writes.assign(kMaxWrites + 1, RecordWrite{"w", 0, "", false});
  ExpectField(t, "writes");
  t = Valid();
  t.writes.clear();
  for (size_t i = 0; i * kMaxRecordBytes <= kMaxTransactionBytes; ++i) {
    t.writes.push_back({"big/" + std::to_string(i), 0, std::string(kMaxRecordBytes, 'v'), false});
  }
  ExpectField(t, "transaction");
}

TEST(ValidatePageTest, ChecksSizeAndTokenForm) {
  EXPECT_TRUE(ValidatePage(Page{1, ""}).ok());
  EXPECT_TRUE(ValidatePage(Page{kMaxPageSize, "00ab"}).ok());
  EXPECT_EQ(FieldOf(ValidatePage(Page{0, ""})).value_or(""), "page_size");
  EXPECT_EQ(FieldOf(ValidatePage(Page{kMaxPageSize + 1, ""})).value_or(""), "page_size");
  EXPECT_EQ(FieldOf(ValidatePage(Page{10, "xyz!"})).value_or(""), "page_token");
  EXPECT_EQ(FieldOf(ValidatePage(Page{10, "abc"})).value_or(""), "page_token");
  EXPECT_EQ(FieldOf(ValidatePage(Page{10, std::string(10000, 'a')})).value_or(""), "page_token");
  EXPECT_EQ(ValidatePage(Page{10, "ABCD"}).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace reserve::ledger

// ValidateShape and ValidatePage: the state-free checks both Ledger implementations share.
//
// Text rules: ids, keys, units, kinds and principals are valid UTF-8 without control
// characters (bytes below 0x20 and DEL). That excludes '\0', which the on-disk key layout
// uses as a separator (storage/codec.h). The memo is valid UTF-8 (newlines and tabs are
// allowed there). Record values are bytes and unrestricted.
//
// Shape rules beyond the limits in ledger.h: an erase must name the version it deletes
// (expected_version > 0) and carry no value; a key appears at most once among writes and
// checks together; an account is opened at most once per transaction; the whole encoded
// transaction (storage/codec.h TxEncoding) stays within kMaxTransactionBytes.
#include <optional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "storage/errors.h"
#include "storage/ledger.h"

namespace reserve::ledger {
namespace {

// A page token is lowercase hex of a small binary cursor; this bounds it generously.
constexpr size_t kMaxPageTokenBytes = 2 * (kMaxIdBytes + 64);

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t extra;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) {
      return false;
    }
    for (size_t k = 1; k <= extra; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and code points beyond Unicode are not UTF-8.
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

bool HasControlChar(absl::string_view s) {
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

// What is wrong with a name: empty, longer than `max_bytes`, a control character, not valid
// UTF-8; nullopt when it is a valid name.
std::optional<std::string> NameProblem(absl::string_view value, size_t max_bytes) {
  if (value.empty()) return "must not be empty";
  if (value.size() > max_bytes) return absl::StrCat("longer than ", max_bytes, " bytes");
  if (HasControlChar(value)) return "contains a control character";
  if (!IsValidUtf8(value)) return "is not valid UTF-8";
  return std::nullopt;
}

// A non-empty name of at most `max_bytes`, valid UTF-8 without control characters.
absl::Status CheckName(absl::string_view field, absl::string_view value, size_t max_bytes) {
  std::optional<std::string> problem = NameProblem(value, max_bytes);
  return problem.has_value() ? InvalidField(field, *problem) : absl::OkStatus();
}

// The field path "<list>[<i>]<member>" (e.g. "postings[3].account"), built only for an error:
// a valid transaction of thousands of postings pays for no field names.
std::string Element(absl::string_view list, size_t i, absl::string_view member) {
  return absl::StrCat(list, "[", i, "]", member);
}

absl::Status CheckElementName(absl::string_view list, size_t i, absl::string_view member,
                              absl::string_view value, size_t max_bytes) {
  std::optional<std::string> problem = NameProblem(value, max_bytes);
  return problem.has_value() ? InvalidField(Element(list, i, member), *problem)
                             : absl::OkStatus();
}

// Size of the canonical encoding (storage/codec.h TxEncoding); kept equal to it by
// codec_test.
size_t EncodedSize(const Transaction& tx) {
  size_t size = 4 * 3 + tx.request_id.size() + tx.kind.size() + tx.principal.size() + 4;
  size += 4;
  for (const auto& a : tx.open_accounts) size += 4 + a.id.size() + 4 + a.unit.size() + 1;
  size += 4;
  for (const auto& p : tx.postings) size += 4 + p.account.size() + 8;
  size += 4;
  for (const auto& w : tx.writes) size += 4 + w.key.size() + 8 + 4 + w.value.size() + 1;
  size += 4;
  for (const auto& c : tx.checks) size += 4 + c.key.size() + 8;
  size += 4 + tx.memo.size();
  return size;
}

absl::Status CheckHeader(const Transaction& tx) {
  if (absl::Status s = CheckName("request_id", tx.request_id, kMaxIdBytes); !s.ok()) return s;
  if (absl::Status s = CheckName("kind", tx.kind, kMaxKindBytes); !s.ok()) return s;
  if (absl::Status s = CheckName("principal", tx.principal, kMaxIdBytes); !s.ok()) return s;
  if (tx.business_date < kMinBusinessDate || tx.business_date > kMaxBusinessDate) {
    return InvalidField("business_date", "outside 1900-01-01..2199-12-31");
  }
  if (tx.memo.size() > kMaxMemoBytes) {
    return InvalidField("memo", absl::StrCat("longer than ", kMaxMemoBytes, " bytes"));
  }
  if (!IsValidUtf8(tx.memo)) return InvalidField("memo", "is not valid UTF-8");
  return absl::OkStatus();
}

absl::Status CheckAccounts(const Transaction& tx) {
  if (tx.open_accounts.size() > kMaxOpenAccounts) {
    return InvalidField("open_accounts", absl::StrCat("more than ", kMaxOpenAccounts));
  }
  absl::flat_hash_set<absl::string_view> opened;
  opened.reserve(tx.open_accounts.size());
  for (size_t i = 0; i < tx.open_accounts.size(); ++i) {
    const AccountSpec& a = tx.open_accounts[i];
    if (absl::Status s = CheckElementName("open_accounts", i, ".id", a.id, kMaxIdBytes); !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckElementName("open_accounts", i, ".unit", a.unit, kMaxUnitBytes);
        !s.ok()) {
      return s;
    }
    if (!opened.insert(a.id).second) {
      return InvalidField(Element("open_accounts", i, ".id"), "opened twice");
    }
  }
  if (tx.postings.size() > kMaxPostings) {
    return InvalidField("postings", absl::StrCat("more than ", kMaxPostings));
  }
  for (size_t i = 0; i < tx.postings.size(); ++i) {
    const Posting& p = tx.postings[i];
    if (absl::Status s = CheckElementName("postings", i, ".account", p.account, kMaxIdBytes);
        !s.ok()) {
      return s;
    }
    if (p.amount == 0) return InvalidField(Element("postings", i, ".amount"), "must not be zero");
  }
  return absl::OkStatus();
}

absl::Status CheckRecords(const Transaction& tx) {
  if (tx.writes.size() > kMaxWrites) {
    return InvalidField("writes", absl::StrCat("more than ", kMaxWrites));
  }
  if (tx.checks.size() > kMaxChecks) {
    return InvalidField("checks", absl::StrCat("more than ", kMaxChecks));
  }
  absl::flat_hash_set<absl::string_view> keys;
  keys.reserve(tx.writes.size() + tx.checks.size());
  for (size_t i = 0; i < tx.writes.size(); ++i) {
    const RecordWrite& w = tx.writes[i];
    if (absl::Status s = CheckElementName("writes", i, ".key", w.key, kMaxIdBytes); !s.ok()) {
      return s;
    }
    if (w.value.size() > kMaxRecordBytes) {
      return InvalidField(Element("writes", i, ".value"),
                          absl::StrCat("longer than ", kMaxRecordBytes));
    }
    if (w.erase && !w.value.empty()) {
      return InvalidField(Element("writes", i, ".value"), "must be empty when erasing");
    }
    if (w.erase && w.expected_version == 0) {
      return InvalidField(Element("writes", i, ".expected_version"),
                          "an erase names the version it deletes");
    }
    if (!keys.insert(w.key).second) {
      return InvalidField(Element("writes", i, ".key"), "written twice");
    }
  }
  for (size_t i = 0; i < tx.checks.size(); ++i) {
    const RecordCheck& c = tx.checks[i];
    if (absl::Status s = CheckElementName("checks", i, ".key", c.key, kMaxIdBytes); !s.ok()) {
      return s;
    }
    if (!keys.insert(c.key).second) {
      return InvalidField(Element("checks", i, ".key"), "written or checked twice");
    }
  }
  return absl::OkStatus();
}

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

absl::Status ValidateShape(const Transaction& tx) {
  if (absl::Status s = CheckHeader(tx); !s.ok()) return s;
  if (absl::Status s = CheckAccounts(tx); !s.ok()) return s;
  if (absl::Status s = CheckRecords(tx); !s.ok()) return s;
  if (EncodedSize(tx) > kMaxTransactionBytes) {
    return InvalidField("transaction",
                        absl::StrCat("encoded size above ", kMaxTransactionBytes, " bytes"));
  }
  return absl::OkStatus();
}

bool IsCleanText(absl::string_view text) { return !HasControlChar(text) && IsValidUtf8(text); }

absl::Status ValidatePage(const Page& page) {
  if (page.page_size < 1 || page.page_size > kMaxPageSize) {
    return InvalidField("page_size", absl::StrCat("must be 1..", kMaxPageSize));
  }
  if (page.page_token.size() > kMaxPageTokenBytes || page.page_token.size() % 2 != 0 ||
      !IsLowerHex(page.page_token)) {
    return InvalidField("page_token", "not a token this ledger issued");
  }
  return absl::OkStatus();
}

absl::Status ValidateReadId(absl::string_view field, absl::string_view id, bool allow_empty) {
  if (id.empty()) {
    return allow_empty ? absl::OkStatus() : InvalidField(field, "must not be empty");
  }
  return CheckName(field, id, kMaxIdBytes);
}

absl::Status ValidateReadIds(absl::string_view field, absl::Span<const std::string> ids) {
  if (ids.size() > kMaxKeysPerRead) {
    return InvalidField(field, absl::StrCat("more than ", kMaxKeysPerRead));
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (absl::Status s = CheckElementName(field, i, "", ids[i], kMaxIdBytes); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace reserve::ledger

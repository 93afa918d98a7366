#include "services/decision/engine/internal.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "services/decision/engine/rules.h"
#include "storage/errors.h"
#include "storage/exact.h"

namespace reserve::decision::engine::internal {

namespace {

constexpr int64_t kPow10[] = {1, 10, 100, 1'000, 10'000, 100'000, 1'000'000};
constexpr int kMaxScale = 6;

// Digits of `n` with a comma every three from the right.
std::string Grouped(uint64_t n) {
  std::string digits = absl::StrCat(n);
  std::string out;
  const size_t lead = digits.size() % 3 == 0 ? 3 : digits.size() % 3;
  out.append(digits, 0, lead);
  for (size_t i = lead; i < digits.size(); i += 3) {
    out.push_back(',');
    out.append(digits, i, 3);
  }
  return out;
}

}  // namespace

absl::Status TooMany(absl::string_view field, size_t count, size_t limit) {
  absl::Status status(absl::StatusCode::kResourceExhausted,
                      absl::StrCat(field, ": ", count, " is more than the limit of ", limit));
  status.SetPayload(kFieldPayload, absl::Cord(field));
  return status;
}

absl::Status CheckRange(absl::string_view field, int64_t value, int64_t lo, int64_t hi) {
  if (value < lo || value > hi) {
    return InvalidField(field, absl::StrCat(value, " is outside ", lo, "..", hi));
  }
  return absl::OkStatus();
}

bool IsMetalCode(absl::string_view code) {
  if (code.empty() || code.size() > kMaxMetalCodeLength) {
    return false;
  }
  return std::all_of(code.begin(), code.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

bool IsPrintableId(absl::string_view id, size_t max_length) {
  if (id.empty() || id.size() > max_length) {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

std::string FormatScaled(int64_t value, int scale, int decimals) {
  scale = std::clamp(scale, 0, kMaxScale);
  decimals = std::clamp(decimals, 0, scale);
  const bool negative = value < 0;
  const uint64_t magnitude =
      negative ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  const uint64_t unit = static_cast<uint64_t>(kPow10[scale]);
  std::string out = negative ? "-" : "";
  absl::StrAppend(&out, Grouped(magnitude / unit));
  if (decimals > 0) {
    std::string frac = absl::StrCat(magnitude % unit);
    frac.insert(0, static_cast<size_t>(scale) - frac.size(), '0');
    absl::StrAppend(&out, ".", frac.substr(0, static_cast<size_t>(decimals)));
  }
  return out;
}

std::string Tonnes(int64_t grams) {
  std::string text = FormatScaled(grams, kMaxScale, kMaxScale);
  while (text.back() == '0') {
    text.pop_back();
  }
  if (text.back() == '.') {
    text.pop_back();
  }
  return absl::StrCat(text, " t");
}

std::string Money(int64_t minor, absl::string_view currency) {
  return absl::StrCat(FormatScaled(minor, 2, 2), " ", currency);
}

std::string PricePerT(int64_t minor_per_t, absl::string_view currency) {
  return absl::StrCat(FormatScaled(minor_per_t, 2, 2), " ", currency, "/t");
}

std::string Percent(int64_t bp) { return absl::StrCat(FormatScaled(bp, 2, 2), "%"); }

int64_t AffordableGrams(int64_t money_minor, int64_t price_minor_per_t, int64_t cap_g) {
  // ValueOfMass(g, p) = round(g * p / 10^6) <= B  <=>  2 g p <= (2B + 1) 10^6 - 1.
  const Int128 numerator = (static_cast<Int128>(2) * money_minor + 1) * kGramsPerTonne - 1;
  const Int128 grams = numerator / (static_cast<Int128>(2) * price_minor_per_t);
  return grams > cap_g ? cap_g : static_cast<int64_t>(grams);
}

}  // namespace reserve::decision::engine::internal

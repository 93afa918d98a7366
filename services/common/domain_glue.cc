#include "services/common/domain_glue.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "storage/errors.h"
#include "storage/ledger.h"

namespace reserve {

absl::StatusOr<absl::CivilDay> FromProtoDate(const v1::Date& d, absl::string_view field) {
  absl::CivilDay day(d.year(), d.month(), d.day());
  // CivilDay normalises (2023-02-30 -> 2023-03-02); a real date survives unchanged.
  if (d.year() < 1900 || d.year() > 2199 || day.year() != d.year() || day.month() != d.month() ||
      day.day() != d.day()) {
    return InvalidField(field, "not a date between 1900-01-01 and 2199-12-31");
  }
  return day;
}

void ToProtoDate(absl::CivilDay day, v1::Date* out) {
  out->set_year(static_cast<int32_t>(day.year()));
  out->set_month(day.month());
  out->set_day(day.day());
}

absl::CivilDay Today() { return absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()); }

absl::StatusOr<absl::CivilDay> DateOrToday(bool has, const v1::Date& date,
                                           absl::string_view field) {
  if (!has) return Today();
  return FromProtoDate(date, field);
}

absl::StatusOr<absl::CivilDay> RequiredDate(bool has, const v1::Date& date,
                                            absl::string_view field) {
  if (!has) return InvalidField(field, "required");
  return FromProtoDate(date, field);
}

absl::StatusOr<domain::Context> MakeContext(const Principal& who, const std::string& request_id,
                                            bool has_date, const v1::Date& date) {
  absl::StatusOr<absl::CivilDay> day = DateOrToday(has_date, date, "business_date");
  if (!day.ok()) return day.status();
  return domain::Context{request_id, who.name, *day};
}

absl::StatusOr<size_t> PageSize(int32_t page_size) {
  if (page_size < 0 || static_cast<size_t>(page_size) > ledger::kMaxPageSize) {
    return InvalidField("page_size", absl::StrCat("between 0 and ", ledger::kMaxPageSize));
  }
  return page_size == 0 ? kDefaultPageSize : static_cast<size_t>(page_size);
}

}  // namespace reserve

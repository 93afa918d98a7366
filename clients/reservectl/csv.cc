#include "clients/reservectl/csv.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace reserve::ctl {

namespace {

// Splits `text` into records of fields. `lines` gets the 1-based line where each starts.
absl::StatusOr<std::vector<std::vector<std::string>>> Records(absl::string_view text,
                                                              std::vector<int>* lines) {
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  bool field_started = false;
  int line = 1;
  int record_line = 1;
  auto end_field = [&] {
    record.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  auto end_record = [&] {
    end_field();
    const bool blank = record.size() == 1 && record[0].empty();
    if (!blank) {
      out.push_back(std::move(record));
      lines->push_back(record_line);
    }
    record.clear();
    record_line = line;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = true;
      field_started = true;
    } else if (c == ',') {
      end_field();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;
    } else if (c == '\n') {
      ++line;
      end_record();
    } else {
      field += c;
      field_started = true;
    }
    if (out.size() > kMaxCsvRows) {
      return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxCsvRows, " rows"));
    }
  }
  if (quoted) {
    return absl::InvalidArgumentError(absl::StrCat("line ", record_line, ": unbalanced quote"));
  }
  if (field_started || !record.empty() || !field.empty()) {
    end_record();
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<std::map<std::string, std::string>>> ParseCsv(absl::string_view text) {
  std::vector<int> lines;
  absl::StatusOr<std::vector<std::vector<std::string>>> records = Records(text, &lines);
  if (!records.ok()) {
    return records.status();
  }
  if (records->empty()) {
    return absl::InvalidArgumentError("line 1: a header line is required");
  }
  std::vector<std::string> header = (*records)[0];
  std::set<std::string> seen;
  for (std::string& h : header) {
    h = std::string(absl::StripAsciiWhitespace(h));
    if (h.empty() || !seen.insert(h).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("line 1: empty or duplicate column name '", h, "'"));
    }
  }
  std::vector<std::map<std::string, std::string>> rows;
  for (size_t r = 1; r < records->size(); ++r) {
    const std::vector<std::string>& record = (*records)[r];
    if (record.size() != header.size()) {
      return absl::InvalidArgumentError(absl::StrCat("line ", lines[r], ": ", record.size(),
                                                     " fields, the header has ", header.size()));
    }
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size(); ++i) {
      row[header[i]] = record[i];
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace reserve::ctl

#include "clients/reservectl/output.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "clients/reservectl/decimal.h"

namespace reserve::ctl {

absl::StatusOr<Format> ParseFormat(absl::string_view text) {
  if (text == "table") return Format::kTable;
  if (text == "json") return Format::kJson;
  if (text == "csv") return Format::kCsv;
  return absl::InvalidArgumentError("--output must be table, json or csv");
}

namespace {

// East Asian wide characters (CJK, Hangul, full-width forms) take two terminal columns.
bool IsWide(uint32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

// Terminal columns `text` (UTF-8) takes, so names in Chinese line up.
size_t DisplayWidth(const std::string& text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    uint32_t cp = c;
    size_t len = 1;
    if ((c >> 5) == 0x6) {
      cp = c & 0x1F;
      len = 2;
    } else if ((c >> 4) == 0xE) {
      cp = c & 0x0F;
      len = 3;
    } else if ((c >> 3) == 0x1E) {
      cp = c & 0x07;
      len = 4;
    }
    for (size_t k = 1; k < len && i + k < text.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    i += len;
    width += IsWide(cp) ? 2 : 1;
  }
  return width;
}

}  // namespace

void PrintText(const Table& table, std::ostream& out) {
  std::vector<size_t> widths(table.headers.size(), 0);
  for (size_t i = 0; i < table.headers.size(); ++i) {
    widths[i] = DisplayWidth(table.headers[i]);
    for (const auto& row : table.rows) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t i = 0; i < cells.size(); ++i) {
      const std::string pad(widths[i] - DisplayWidth(cells[i]), ' ');
      const bool last = i + 1 == cells.size();
      if (i > 0) text += "  ";
      if (table.aligns[i] == Align::kRight) {
        text += pad + cells[i];
      } else {
        text += cells[i];
        if (!last) text += pad;
      }
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << "\n";
  };
  line(table.headers);
  for (const auto& row : table.rows) {
    line(row);
  }
  if (table.rows.empty()) {
    out << "(none)\n";
  }
}

namespace {

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) {
    return value;
  }
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

void CsvLine(const std::vector<std::string>& cells, std::ostream& out) {
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out << ",";
    out << CsvField(cells[i]);
  }
  out << "\r\n";
}

}  // namespace

void PrintCsv(const Table& table, std::ostream& out) {
  CsvLine(table.headers, out);
  for (const auto& row : table.rows) {
    CsvLine(row, out);
  }
}

void PrintJson(const google::protobuf::Message& message, std::ostream& out) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  // Printing a well-formed message cannot fail; an empty object is the safe fallback.
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) {
    json = "{}\n";
  }
  out << json;
  if (json.empty() || json.back() != '\n') out << "\n";
}

Table Transpose(const Table& table) {
  Table out;
  out.headers = {"field", "value"};
  out.aligns = {Align::kLeft, Align::kLeft};
  for (const auto& row : table.rows) {
    for (size_t i = 0; i < table.headers.size(); ++i) {
      out.rows.push_back({table.headers[i], row[i]});
    }
  }
  return out;
}

void Emit(Format format, const google::protobuf::Message& message, const Table& table,
          std::ostream& out, const EmitOptions& options) {
  switch (format) {
    case Format::kJson:
      PrintJson(message, out);
      return;
    case Format::kCsv:
      PrintCsv(table, out);
      return;
    case Format::kTable:
      PrintText(options.vertical ? Transpose(table) : table, out);
      if (!options.trailer.empty()) out << options.trailer << "\n";
      return;
  }
}

std::string Tonnes(int64_t grams) { return FormatScaled(grams, 6, 3); }
std::string Money(int64_t minor_units) { return FormatScaled(minor_units, 2, 2); }
std::string Bool(bool value) { return value ? "yes" : "no"; }

}  // namespace reserve::ctl

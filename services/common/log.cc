#include "services/common/log.h"

#include <atomic>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace reserve::log {

namespace {
std::atomic<Format> g_format{Format::kJson};
absl::Mutex g_write_mu;

void Write(absl::string_view level, absl::string_view event, std::initializer_list<Field> fields) {
  std::string line = FormatLine(level, event, fields);
  line.push_back('\n');
  absl::MutexLock lock(&g_write_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}
}  // namespace

void SetFormat(Format format) { g_format.store(format); }

std::string FormatLine(absl::string_view level, absl::string_view event,
                       std::initializer_list<Field> fields) {
  const std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  if (g_format.load() == Format::kText) {
    std::string line = absl::StrCat(ts, " ", level, " ", event);
    for (const auto& [key, value] : fields) {
      absl::StrAppend(&line, " ", key, "=", value);
    }
    return line;
  }
  nlohmann::json object = nlohmann::json::object();
  object["ts"] = ts;
  object["level"] = std::string(level);
  object["event"] = std::string(event);
  for (const auto& [key, value] : fields) {
    object[std::string(key)] = value;
  }
  // Invalid UTF-8 in a field is replaced rather than throwing.
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Info(absl::string_view event, std::initializer_list<Field> fields) {
  Write("info", event, fields);
}
void Warn(absl::string_view event, std::initializer_list<Field> fields) {
  Write("warn", event, fields);
}
void Error(absl::string_view event, std::initializer_list<Field> fields) {
  Write("error", event, fields);
}

}  // namespace reserve::log

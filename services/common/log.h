// Structured logs: one line per event on stderr, either a JSON object
// {"ts":"…","level":"info","event":"server.start", …fields} (the default) or text
// "ts LEVEL event k=v …". Thread-safe; lines never interleave.
#ifndef RESERVE_SERVICES_COMMON_LOG_H_
#define RESERVE_SERVICES_COMMON_LOG_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace reserve::log {

enum class Format { kJson, kText };

// Set once at start-up (before threads start); JSON until then.
void SetFormat(Format format);

using Field = std::pair<absl::string_view, std::string>;

void Info(absl::string_view event, std::initializer_list<Field> fields = {});
void Warn(absl::string_view event, std::initializer_list<Field> fields = {});
void Error(absl::string_view event, std::initializer_list<Field> fields = {});

// The line Info/Warn/Error would write (without the newline); for tests.
std::string FormatLine(absl::string_view level, absl::string_view event,
                       std::initializer_list<Field> fields);

}  // namespace reserve::log

#endif  // RESERVE_SERVICES_COMMON_LOG_H_

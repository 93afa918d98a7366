// `reservectl demo load`: loads the demo data set (demo_data.h) into an empty store through
// the ordinary RPCs, with request ids derived from the seed so that re-running is harmless.
#ifndef RESERVE_CLIENTS_RESERVECTL_DEMO_H_
#define RESERVE_CLIENTS_RESERVECTL_DEMO_H_

#include <CLI/CLI.hpp>

#include "clients/reservectl/commands.h"

namespace reserve::ctl {

// Registers `demo load` on `app`.
void AddDemoCommands(CLI::App& app, Action* chosen);

}  // namespace reserve::ctl

#endif  // RESERVE_CLIENTS_RESERVECTL_DEMO_H_

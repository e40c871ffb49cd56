// Builds a line's drivers from its settings (common/node_settings.h): the one place that knows
// which driver class a settings "driver" name means and how the settings document maps onto
// the driver's own settings (lines/line.h, lines/sim_line.h). The line manager calls it
// through its LineFactory for every channel of every new or changed line.
//
// Diagnostics: throws std::invalid_argument with the reason (an unknown driver, or what the
// driver's constructor refused).
#pragma once

#include <memory>
#include <string>

#include "common/node_settings.h"
#include "faxnode/lines/line.h"
#include "faxnode/lines/sim_line.h"

namespace faxgate::node {

// The driver's part of a line's settings.
LineSettings driverLineSettings(const settings::LineSettings& line, const std::string& timeZone);

// The sim driver's settings of a line; `inboxDir` is where inbound calls are dropped (empty:
// the channel never receives).
SimSettings simDriverSettings(const settings::SimLineSettings& sim, std::string inboxDir);

// The driver of channel `channel` (0-based) of `line`. Channel 0 receives, with its inbox at
// <spool_dir>/inbox/<line id>/; the other channels only send.
std::unique_ptr<Line> makeLineDriver(const settings::LineSettings& line, int channel,
                                     const std::string& timeZone, const std::string& spoolDir);

}  // namespace faxgate::node

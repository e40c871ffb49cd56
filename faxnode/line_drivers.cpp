// Line drivers from line settings; see line_drivers.h.
#include "faxnode/line_drivers.h"

#include <stdexcept>

namespace faxgate::node {

LineSettings driverLineSettings(const settings::LineSettings& line, const std::string& timeZone) {
    LineSettings driver;
    driver.id = line.id;
    driver.number = line.number;
    driver.stationId = line.stationId;
    driver.header = line.header;
    driver.maxBitRate = line.maxBitRate;
    driver.ecm = line.ecm;
    driver.resolution = line.resolution;
    driver.timeZone = timeZone;
    return driver;
}

SimSettings simDriverSettings(const settings::SimLineSettings& sim, std::string inboxDir) {
    SimSettings driver;
    driver.dialMs = sim.dialMs;
    driver.pageMs = sim.pageMs;
    driver.busyPattern = sim.busyPattern;
    driver.noAnswerPattern = sim.noAnswerPattern;
    driver.noCarrierPattern = sim.noCarrierPattern;
    driver.failPattern = sim.failPattern;
    driver.failAfterPages = sim.failAfterPages;
    driver.remoteCsid = sim.remoteCsid;
    driver.exchangeDir = sim.exchangeDir;
    driver.inboxDir = std::move(inboxDir);
    return driver;
}

std::unique_ptr<Line> makeLineDriver(const settings::LineSettings& line, int channel,
                                     const std::string& timeZone, const std::string& spoolDir) {
    if (line.driver == "sim") {
        std::string inboxDir = channel == 0 ? spoolDir + "/inbox/" + line.id : std::string();
        return std::make_unique<SimLine>(driverLineSettings(line, timeZone),
                                         simDriverSettings(line.sim, std::move(inboxDir)));
    }
    throw std::invalid_argument("driver: unknown driver \"" + line.driver +
                                "\" (this version has: sim)");
}

}  // namespace faxgate::node

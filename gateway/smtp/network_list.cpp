// CIDR matching for the trusted networks. See network_list.h.
#include "gateway/smtp/network_list.h"

#include <stdexcept>

namespace faxgate::gateway {
namespace {

using Poco::Net::IPAddress;

IPAddress unmapIPv4(const IPAddress& address) {
    if (address.family() == IPAddress::IPv6 && address.isIPv4Mapped()) {
        const auto* bytes = static_cast<const unsigned char*>(address.addr());
        return IPAddress(bytes + 12, 4);
    }
    return address;
}

}  // namespace

NetworkList NetworkList::parse(const std::vector<std::string>& networks) {
    NetworkList list;
    for (const std::string& entry : networks) {
        const size_t slash = entry.find('/');
        const std::string host = entry.substr(0, slash);
        IPAddress base;
        if (!IPAddress::tryParse(host, base))
            throw std::invalid_argument("'" + entry +
                                        "' is not an IP network (want e.g. 10.0.0.0/8)");
        base = unmapIPv4(base);
        const unsigned maxPrefix = base.family() == IPAddress::IPv4 ? 32 : 128;
        unsigned prefix = maxPrefix;
        if (slash != std::string::npos) {
            const std::string prefixText = entry.substr(slash + 1);
            if (prefixText.empty() || prefixText.size() > 3 ||
                prefixText.find_first_not_of("0123456789") != std::string::npos ||
                std::stoul(prefixText) > maxPrefix)
                throw std::invalid_argument("'" + entry + "' has a bad prefix length (0.." +
                                            std::to_string(maxPrefix) + ")");
            prefix = static_cast<unsigned>(std::stoul(prefixText));
        }
        const IPAddress mask(prefix, base.family());
        list.networks_.push_back({base & mask, mask});
    }
    return list;
}

bool NetworkList::contains(const IPAddress& address) const {
    const IPAddress candidate = unmapIPv4(address);
    for (const Network& network : networks_) {
        if (network.base.family() == candidate.family() &&
            (candidate & network.mask) == network.base)
            return true;
    }
    return false;
}

}  // namespace faxgate::gateway

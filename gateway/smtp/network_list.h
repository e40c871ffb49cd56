// A list of IP networks in CIDR notation ("127.0.0.0/8", "::1/128", "192.0.2.7"), for the
// trusted networks whose clients (scanners that cannot AUTH) may submit without a password.
// An IPv4-mapped IPv6 client address (::ffff:192.0.2.7, seen when listening on "::") matches
// the IPv4 networks.
#pragma once

#include <string>
#include <vector>

#include "Poco/Net/IPAddress.h"

namespace faxgate::gateway {

// Immutable after parse(); safe to share between threads.
class NetworkList {
  public:
    NetworkList() = default;

    // Throws std::invalid_argument naming the first entry that is not a valid network.
    static NetworkList parse(const std::vector<std::string>& networks);

    bool contains(const Poco::Net::IPAddress& address) const;
    bool empty() const { return networks_.empty(); }

  private:
    struct Network {
        Poco::Net::IPAddress base;  // already masked
        Poco::Net::IPAddress mask;
    };
    std::vector<Network> networks_;
};

}  // namespace faxgate::gateway

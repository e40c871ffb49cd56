// The RTP UDP socket (see rtp_socket.h).
#include "faxnode/rtp/rtp_socket.h"

#include <Poco/Exception.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Timespan.h>

#include <atomic>
#include <stdexcept>

namespace faxgate::node::rtp {

namespace {

// Where the next socket starts looking, as a count of even ports into the range.
std::atomic<uint32_t> nextSearchOffset{0};

}  // namespace

RtpSocket::RtpSocket(const std::string& host, uint16_t minPort, uint16_t maxPort) {
    const uint32_t first = (minPort + 1u) & ~1u;  // the first even port in the range
    const std::string range =
        host + " ports " + std::to_string(minPort) + "-" + std::to_string(maxPort);
    if (minPort == 0 || first > maxPort) {
        throw std::runtime_error("RTP: no even port in " + range);
    }
    const uint32_t evenPorts = (maxPort - first) / 2 + 1;
    const uint32_t start = nextSearchOffset.fetch_add(1) % evenPorts;
    Poco::Net::IPAddress address;
    try {
        address = Poco::Net::IPAddress(host);
    } catch (const Poco::Exception&) {
        throw std::runtime_error("RTP: " + host + " is not an IP address");
    }
    for (uint32_t i = 0; i < evenPorts; ++i) {
        const auto port = static_cast<uint16_t>(first + 2 * ((start + i) % evenPorts));
        try {
            Poco::Net::DatagramSocket socket(address.family());
            socket.bind(Poco::Net::SocketAddress(address, port), false);
            socket_ = socket;
            localPort_ = port;
            return;
        } catch (const Poco::Exception&) {
            // taken (or not bindable): try the next one
        }
    }
    throw std::runtime_error("RTP: no free even port in " + range);
}

bool RtpSocket::send(std::span<const uint8_t> datagram) {
    if (!remote_) return false;
    try {
        const int sent =
            socket_.sendTo(datagram.data(), static_cast<int>(datagram.size()), *remote_);
        return sent == static_cast<int>(datagram.size());
    } catch (const Poco::Exception&) {
        return false;
    }
}

std::size_t RtpSocket::receive(std::span<uint8_t> buffer, int timeoutMs,
                               Poco::Net::SocketAddress& from) {
    try {
        const Poco::Timespan timeout(static_cast<Poco::Timespan::TimeDiff>(timeoutMs) * 1000);
        if (!socket_.poll(timeout, Poco::Net::Socket::SELECT_READ)) return 0;
        const int received =
            socket_.receiveFrom(buffer.data(), static_cast<int>(buffer.size()), from);
        return received > 0 ? static_cast<std::size_t>(received) : 0;
    } catch (const Poco::Exception&) {
        return 0;
    }
}

}  // namespace faxgate::node::rtp

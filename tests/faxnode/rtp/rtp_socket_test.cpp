// RtpSocket on loopback: even ports from the configured range, datagrams both ways, the
// receive time-out, and a range with no free port.
#include "faxnode/rtp/rtp_socket.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <vector>

namespace faxgate::node::rtp {
namespace {

// A range of high ports unlikely to be used by anything else on a test machine.
constexpr uint16_t kMinPort = 41000;
constexpr uint16_t kMaxPort = 41099;

TEST(RtpSocketTest, BindsDistinctEvenPortsInTheRange) {
    std::vector<std::unique_ptr<RtpSocket>> sockets;
    std::set<uint16_t> ports;
    for (int i = 0; i < 5; ++i) {
        sockets.push_back(std::make_unique<RtpSocket>("127.0.0.1", kMinPort, kMaxPort));
        const uint16_t port = sockets.back()->localPort();
        EXPECT_EQ(port % 2, 0);
        EXPECT_GE(port, kMinPort);
        EXPECT_LE(port, kMaxPort);
        ports.insert(port);
    }
    EXPECT_EQ(ports.size(), 5u);
}

TEST(RtpSocketTest, DatagramsCrossBothWays) {
    RtpSocket a("127.0.0.1", kMinPort, kMaxPort);
    RtpSocket b("127.0.0.1", kMinPort, kMaxPort);
    a.setRemote(Poco::Net::SocketAddress("127.0.0.1", b.localPort()));
    b.setRemote(Poco::Net::SocketAddress("127.0.0.1", a.localPort()));

    const std::vector<uint8_t> hello = {0x80, 0x08, 1, 2, 3};
    ASSERT_TRUE(a.send(hello));
    std::vector<uint8_t> buffer(1500);
    Poco::Net::SocketAddress from;
    const std::size_t size = b.receive(buffer, 2000, from);
    ASSERT_EQ(size, hello.size());
    EXPECT_EQ(std::vector<uint8_t>(buffer.begin(), buffer.begin() + 5), hello);
    EXPECT_EQ(from.port(), a.localPort());

    ASSERT_TRUE(b.send(std::vector<uint8_t>(172, 0xd5)));
    EXPECT_EQ(a.receive(buffer, 2000, from), 172u);
}

TEST(RtpSocketTest, ReceiveTimesOutAndSendNeedsARemote) {
    RtpSocket a("127.0.0.1", kMinPort, kMaxPort);
    std::vector<uint8_t> buffer(1500);
    Poco::Net::SocketAddress from;
    EXPECT_EQ(a.receive(buffer, 20, from), 0u);
    EXPECT_FALSE(a.send(std::vector<uint8_t>{1, 2, 3}));
}

TEST(RtpSocketTest, OversizedDatagramIsCutToTheBuffer) {
    RtpSocket a("127.0.0.1", kMinPort, kMaxPort);
    RtpSocket b("127.0.0.1", kMinPort, kMaxPort);
    a.setRemote(Poco::Net::SocketAddress("127.0.0.1", b.localPort()));
    ASSERT_TRUE(a.send(std::vector<uint8_t>(400, 7)));
    std::vector<uint8_t> small(100, 0);
    Poco::Net::SocketAddress from;
    EXPECT_EQ(b.receive(small, 2000, from), 100u);
    EXPECT_EQ(small.back(), 7);
}

TEST(RtpSocketTest, FullOrEmptyRangeIsAnError) {
    RtpSocket only("127.0.0.1", 41200, 41201);  // one even port
    EXPECT_EQ(only.localPort(), 41200);
    try {
        RtpSocket second("127.0.0.1", 41200, 41201);
        FAIL() << "bound a taken port";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("41200-41201"), std::string::npos) << e.what();
    }
    EXPECT_THROW(RtpSocket("127.0.0.1", 41203, 41203), std::runtime_error);  // no even port
    EXPECT_THROW(RtpSocket("not-an-address", 41000, 41099), std::runtime_error);
}

TEST(RtpSocketTest, WorksOnIpv6Loopback) {
    RtpSocket a("::1", kMinPort, kMaxPort);
    RtpSocket b("::1", kMinPort, kMaxPort);
    a.setRemote(Poco::Net::SocketAddress("::1", b.localPort()));
    ASSERT_TRUE(a.send(std::vector<uint8_t>{9}));
    std::vector<uint8_t> buffer(10);
    Poco::Net::SocketAddress from;
    EXPECT_EQ(b.receive(buffer, 2000, from), 1u);
}

}  // namespace
}  // namespace faxgate::node::rtp

package io.llavastream.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Free TCP ports on the embedded broker's host. The KRaft controller's port must be known before the node starts
 * (it is written into the quorum's voter list), so ports are picked here rather than bound as port 0.
 */
final class LocalPorts {
    private LocalPorts() {
    }

    /** A port that was free on {@link BrokerSettings#HOST} a moment ago. */
    static int free() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(BrokerSettings.HOST))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + BrokerSettings.HOST, e);
        }
    }

    /**
     * A free port other than {@code taken}: the OS may hand back a port it just gave out and saw closed, and the
     * controller's port must differ from the broker's.
     */
    static int freeOtherThan(int taken) {
        for (int i = 0; i < 100; i++) {
            int port = free();
            if (port != taken) {
                return port;
            }
        }
        throw new IllegalStateException("no free port on " + BrokerSettings.HOST + " other than " + taken);
    }

    /** {@code port} itself when it is free, or a free port when it is 0. */
    static int resolve(int port) {
        if (port == 0) {
            return free();
        }
        requireFree(port);
        return port;
    }

    /** Fails with a message that names the port when it is out of range or already taken. */
    static void requireFree(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535 (or 0 for a free one), got " + port);
        }
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName(BrokerSettings.HOST))) {
            s.setReuseAddress(true);
        } catch (IOException e) {
            throw new IllegalStateException("port " + port + " on " + BrokerSettings.HOST
                    + " is in use (" + e.getMessage() + "); expected a free port, or 0 to pick one", e);
        }
    }
}

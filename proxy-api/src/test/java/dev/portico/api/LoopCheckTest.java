package dev.portico.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class LoopCheckTest {

    private static final Predicate<InetAddress> LOCAL = a -> a.isLoopbackAddress()
            || a.getHostAddress().equals("192.168.1.2");

    private static LoopCheck.Listener listener(String name, String bind, String... backends) {
        Frontend.Builder b = Frontend.builder(bind).name(name).origin(name + ".yaml:3:5").source("file");
        for (String be : backends) {
            b.backend(be);
        }
        Frontend f = b.build();
        InetSocketAddress at = f.bind().kind() == BindAddress.Kind.WILDCARD ? new InetSocketAddress(f.bind().port())
                : new InetSocketAddress(LoopCheck.literal(f.bind().host()), f.bind().port());
        return new LoopCheck.Listener(f, at);
    }

    @Test
    void aBackendThatIsTheFrontendsOwnBindIsALoopNamedAtItsPlace() {
        var loops = LoopCheck.find(List.of(listener("web", "127.0.0.1:8080", "127.0.0.1:8080")), LOCAL);
        assertThat(loops).singleElement().hasToString(
                "web.yaml:3:5: frontend web: backend 127.0.0.1:8080 is this router's own listener "
                        + "(bind 127.0.0.1:8080): a loop");
        assertThat(loops.get(0).toError().source()).isEqualTo("file");
    }

    @Test
    void aWildcardBindIsReachedThroughEveryLocalAddressButNotARemoteOne() {
        assertThat(LoopCheck.find(List.of(listener("web", ":8080", "10.0.0.5:8080", "192.168.1.3:8080")), LOCAL))
                .isEmpty();
        for (String self : List.of("127.0.0.1:8080", "127.0.0.9:8080", "[::1]:8080", "192.168.1.2:8080",
                "0.0.0.0:8080")) {
            assertThat(LoopCheck.find(List.of(listener("web", ":8080", "10.0.0.5:8080", self)), LOCAL))
                    .as(self).singleElement().extracting(l -> l.frontend().name()).isEqualTo("web");
        }
    }

    @Test
    void aSpecificBindIsOnlyReachedThroughItsOwnAddress() {
        assertThat(LoopCheck.find(List.of(listener("web", "127.0.0.1:8080", "127.0.0.2:8080")), LOCAL)).isEmpty();
        assertThat(LoopCheck.find(List.of(listener("web", "127.0.0.1:8080", "127.0.0.1:8081")), LOCAL)).isEmpty();
    }

    @Test
    void aCycleThroughTwoFrontendsRefusesBoth() {
        var loops = LoopCheck.find(List.of(
                listener("a", "127.0.0.1:9001", "127.0.0.1:9002"),
                listener("b", "127.0.0.1:9002", "127.0.0.1:9001")), LOCAL);
        assertThat(loops).extracting(l -> l.frontend().name()).containsExactly("a", "b");
        assertThat(loops.get(0).message()).isEqualTo("frontend a: backend 127.0.0.1:9002 is this router's own "
                + "listener (frontend b, bind 127.0.0.1:9002), which leads back to frontend a (a -> b -> a): a loop");
    }

    @Test
    void aChainThatEndsElsewhereIsNoLoopAndAFrontendFeedingACycleIsNotOnIt() {
        assertThat(LoopCheck.find(List.of(
                listener("a", "127.0.0.1:9001", "127.0.0.1:9002"),
                listener("b", "127.0.0.1:9002", "10.0.0.5:80")), LOCAL)).isEmpty();
        var loops = LoopCheck.find(List.of(
                listener("a", "127.0.0.1:9001", "127.0.0.1:9002"),
                listener("b", "127.0.0.1:9002", "127.0.0.1:9003"),
                listener("c", "127.0.0.1:9003", "127.0.0.1:9002")), LOCAL);
        assertThat(loops).extracting(l -> l.frontend().name()).containsExactly("b", "c");
    }

    @Test
    void hostNamesAreLeftToTheConnectTimeCheck() {
        assertThat(LoopCheck.find(List.of(listener("web", "127.0.0.1:8080", "localhost:8080")), LOCAL)).isEmpty();
    }
}

package dev.portico.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProxyEventsTest {

    @Test
    void allHandsEachEventToEveryListenerInOrderEvenWhenOneThrows() {
        List<String> seen = new ArrayList<>();
        List<RuntimeException> failures = new ArrayList<>();
        ProxyEvents broken = new ProxyEvents() {
            @Override
            public void onListenerFailed(String frontend, BindAddress bind, String reason) {
                seen.add("broken");
                throw new IllegalStateException("listener bug");
            }
        };
        ProxyEvents recording = new ProxyEvents() {
            @Override
            public void onListenerFailed(String frontend, BindAddress bind, String reason) {
                seen.add("recording " + frontend + " " + reason);
            }
        };

        ProxyEvents all = ProxyEvents.all(List.of(broken, recording), (listener, e) -> failures.add(e));
        all.onListenerFailed("web", BindAddress.parse(":80"), "address in use");

        assertThat(seen).containsExactly("broken", "recording web address in use");
        assertThat(failures).singleElement().satisfies(e -> assertThat(e).hasMessage("listener bug"));
    }

    @Test
    void allWithoutAFailureHandlerStillReachesEveryListener() {
        List<String> seen = new ArrayList<>();
        ProxyEvents throwing = new ProxyEvents() {
            @Override
            public void onConflict(Conflict conflict) {
                throw new IllegalStateException("listener bug");
            }
        };
        ProxyEvents recording = new ProxyEvents() {
            @Override
            public void onConflict(Conflict conflict) {
                seen.add(conflict.reason());
            }
        };
        Frontend a = Frontend.builder(":80").backend("10.0.0.1:80").build();
        ProxyEvents.all(throwing, recording).onConflict(new Conflict(a.bind(), a, a, "it is listed first"));
        assertThat(seen).containsExactly("it is listed first");
    }
}

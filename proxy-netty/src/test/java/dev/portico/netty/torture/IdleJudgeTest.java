package dev.portico.netty.torture;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The torture's judge of early ends by the idle timeout blames the proxy exactly when the peers' records prove it wrong. */
class IdleJudgeTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(15);
    private static final long S = 1_000_000_000L;

    @Test
    void anEndAfterTheTimeoutWithoutMovementIsTheProxysRight() {
        // The backend's stream arrived in the first second; the client's writer first wrote after
        // the end (its thread did not run for 20 s): nothing moved for 19 s.
        StreamLog toClient = new StreamLog();
        toClient.wrote(1000, 0, S / 10);
        toClient.reading(S / 10);
        toClient.read(1000, S);
        toClient.reading(S);
        toClient.ended(20 * S);
        StreamLog toBackend = new StreamLog();
        toBackend.reading(0);
        toBackend.ended(20 * S);
        toBackend.wrote(47, 20 * S + 1, 20 * S + 2);
        toBackend.writeFailed(20 * S + 3);

        List<String> wrong = new ArrayList<>();
        String note = IdleJudge.judge(wrong, 0, TIMEOUT, toBackend, toClient);

        assertThat(wrong).isEmpty();
        assertThat(note).contains("ended by the idle timeout at +20000 ms", "written at +0 ms");
    }

    @Test
    void aByteWrittenWithinTheTimeoutBeforeTheEndThatArrivedBlamesTheProxy() {
        StreamLog toClient = new StreamLog();
        toClient.wrote(1000, 0, 1);
        toClient.wrote(2000, 10 * S, 10 * S + 1);
        toClient.read(1000, S);
        toClient.read(2000, 11 * S);
        toClient.reading(11 * S);
        toClient.ended(20 * S);
        StreamLog toBackend = new StreamLog();
        toBackend.reading(0);
        toBackend.ended(20 * S);

        List<String> wrong = new ArrayList<>();
        IdleJudge.judge(wrong, 0, TIMEOUT, toBackend, toClient);

        assertThat(wrong).singleElement().asString()
                .contains("to the client: the proxy moved bytes 10000 ms before the connection ended");
    }

    @Test
    void aReaderWaitingForAWrittenByteForTheWholeTimeoutBlamesTheProxy() {
        // Every byte was written at once; the client got half and then waited 19 s for the rest.
        StreamLog toClient = new StreamLog();
        toClient.wrote(2000, 0, S / 10);
        toClient.read(1000, S / 2);
        toClient.reading(S);
        toClient.ended(20 * S);
        StreamLog toBackend = new StreamLog();
        toBackend.reading(0);
        toBackend.ended(20 * S);

        List<String> wrong = new ArrayList<>();
        IdleJudge.judge(wrong, 0, TIMEOUT, toBackend, toClient);

        assertThat(wrong).singleElement().asString()
                .contains("to the client: the receiver waited in a read from +1000 ms for byte 1000");
    }

    @Test
    void anEndNoPeerSawIsAFailure() {
        List<String> wrong = new ArrayList<>();
        IdleJudge.judge(wrong, 0, TIMEOUT, new StreamLog(), new StreamLog());
        assertThat(wrong).containsExactly("neither peer saw the connection end");
    }
}

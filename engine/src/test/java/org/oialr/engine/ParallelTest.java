package org.oialr.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link Parallel#forEachTask}: every task once, on several threads, exceptions passed to the caller. */
class ParallelTest {
    private int threadsBefore;

    @BeforeEach
    void saveThreads() {
        threadsBefore = Parallel.threads();
    }

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(threadsBefore);
    }

    @Test
    void everyTaskRunsExactlyOnceOnAnyThreadCount() {
        for (int threads = 1; threads <= 3; threads++) {
            Parallel.setThreads(threads);
            for (int tasks : new int[]{0, 1, 2, 7, 100}) {
                for (int round = 0; round < 20; round++) {
                    AtomicIntegerArray runs = new AtomicIntegerArray(Math.max(tasks, 1));
                    Parallel.forEachTask(tasks, id -> {
                        // some tasks longer than others, so the threads claim unevenly
                        if (id % 3 == 0) busy(20_000);
                        runs.incrementAndGet(id);
                    });
                    for (int id = 0; id < tasks; id++) assertEquals(1, runs.get(id), "task " + id + " of " + tasks + " on " + threads + " threads");
                }
            }
        }
    }

    @Test
    void dynamicRangesCoverEveryElementOnceInChunksOfAtLeastTheMinimum() {
        for (int threads = 1; threads <= 3; threads++) {
            Parallel.setThreads(threads);
            for (int n : new int[]{0, 1, 5, 8, 128, 1000}) {
                for (int minChunk : new int[]{1, 3, 16}) {
                    AtomicIntegerArray runs = new AtomicIntegerArray(Math.max(n, 1));
                    java.util.concurrent.atomic.AtomicInteger chunks = new java.util.concurrent.atomic.AtomicInteger();
                    int nn = n, mc = minChunk;
                    Parallel.forRangeDynamic(n, minChunk, 4, (s, e) -> {
                        chunks.incrementAndGet();
                        assertTrue(e > s, "empty chunk");
                        assertTrue(e - s >= Math.min(mc, nn), "chunk [" + s + ", " + e + ") under " + mc);
                        for (int i = s; i < e; i++) runs.incrementAndGet(i);
                    });
                    for (int i = 0; i < n; i++) assertEquals(1, runs.get(i), "element " + i + " of " + n + ", min " + minChunk + ", " + threads + " threads");
                    // one chunk on one thread; at most 4 per thread otherwise
                    assertTrue(chunks.get() <= (threads == 1 ? 1 : 4 * threads), chunks.get() + " chunks on " + threads + " threads");
                }
            }
        }
    }

    @Test
    void aTaskExceptionReachesTheCallerAfterTheOtherTasks() {
        Parallel.setThreads(2);
        IllegalStateException boom = new IllegalStateException("boom");
        AtomicIntegerArray runs = new AtomicIntegerArray(16);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forEachTask(16, id -> {
            runs.incrementAndGet(id);
            if (id == 5) throw boom;
        }));
        assertSame(boom, e);
        for (int id = 0; id < 16; id++) assertEquals(1, runs.get(id), "task " + id);
    }

    @Test
    void nestedCallsRunInlineOnTheWorker() {
        Parallel.setThreads(2);
        AtomicIntegerArray inner = new AtomicIntegerArray(4 * 8);
        Parallel.forEachTask(4, outer -> Parallel.forEachTask(8, id -> inner.incrementAndGet(outer * 8 + id)));
        for (int i = 0; i < 32; i++) assertTrue(inner.get(i) == 1, "inner task " + i);
    }

    private static long sink;

    private static void busy(int n) {
        long x = 0;
        for (int i = 0; i < n; i++) x += i * 31L ^ x;
        sink += x;
    }
}

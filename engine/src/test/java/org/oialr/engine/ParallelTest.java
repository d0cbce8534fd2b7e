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

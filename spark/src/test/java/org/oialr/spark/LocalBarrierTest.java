package org.oialr.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Barrier stages in a local[2] session: all-gather, barrier, a retried stage, too many tasks; and a quiet start. */
class LocalBarrierTest {
    private static SparkSession session;
    private static JavaSparkContext sc;
    private static String startLog;

    @BeforeAll
    static void start() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            session = SparkSessions.start("local[2]");
            sc = JavaSparkContext.fromSparkContext(session.sparkContext());
            sc.parallelize(List.of(1, 2, 3), 2).count();
        } finally {
            System.setErr(err);
        }
        startLog = captured.toString(StandardCharsets.UTF_8);
        System.err.print(startLog);
    }

    @AfterAll
    static void stop() {
        if (session != null) session.stop();
    }

    private static JavaRDD<Integer> twoPartitions() {
        return sc.parallelize(List.of(0, 1), 2);
    }

    @Test
    void startsQuietlyWithTaskRetries() {
        assertEquals("local[2,4]", session.sparkContext().master());
        assertEquals("false", session.conf().get("spark.ui.enabled"));
        assertEquals(2, BarrierStage.slots(session.sparkContext()));
        for (String line : startLog.lines().toList()) {
            assertFalse(line.contains("INFO"), () -> "Spark logs below WARN: " + line);
        }
    }

    @Test
    void tasksAllGatherAndMeetAtABarrier() {
        List<String> results = BarrierStage.collect(twoPartitions(), partition -> {
            BarrierTaskContext task = BarrierTaskContext.get();
            task.barrier();
            String[] all = task.allGather(Integer.toString(task.partitionId()));
            return List.of(task.partitionId() + ":" + String.join(",", all)).iterator();
        });
        assertEquals(List.of("0:0,1", "1:0,1"), results);
    }

    @Test
    void aFailedTaskRetriesTheWholeStage() {
        List<Integer> attempts = BarrierStage.collect(twoPartitions(), partition -> {
            BarrierTaskContext task = BarrierTaskContext.get();
            if (task.stageAttemptNumber() == 0 && task.partitionId() == 1) throw new IllegalStateException("planned failure");
            task.barrier();
            return List.of(task.stageAttemptNumber()).iterator();
        });
        assertEquals(List.of(1, 1), attempts);
    }

    @Test
    void moreTasksThanSlotsIsRefusedAtOnce() {
        long start = System.nanoTime();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> BarrierStage.collect(sc.parallelize(List.of(0, 1, 2), 3), partition -> partition));
        assertTrue((System.nanoTime() - start) / 1e9 < 5, "took too long");
        assertEquals("a barrier stage of 3 tasks needs 3 task slots at once but local[2,4] has 2 (executor cores / "
                + "spark.task.cpus): use at most 2 partitions or give the application more cores", e.getMessage());
    }
}

package org.oialr.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Barrier stages on local-cluster[2,1,1024]: two executors in JVMs of their own, which have the JVM options; a stage
 * whose executor dies is retried on a fresh one.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalClusterTest {
    private static SparkSession session;
    private static JavaSparkContext sc;
    private static final Set<Long> executorPids = new HashSet<>();

    @BeforeAll
    static void start() {
        session = SparkSessions.start("local-cluster[2,1,1024]");
        sc = JavaSparkContext.fromSparkContext(session.sparkContext());
    }

    @AfterAll
    static void stop() {
        if (session != null) session.stop();
    }

    private static JavaRDD<Integer> twoPartitions() {
        return sc.parallelize(List.of(0, 1), 2);
    }

    /** A task's partition, stage attempt, process id, and whether its JVM has the vector module and an opened java.nio. */
    private record Task(int partition, int attempt, long pid, boolean vector, boolean opened) implements java.io.Serializable {
        static Task here() {
            BarrierTaskContext task = BarrierTaskContext.get();
            return new Task(task.partitionId(), task.stageAttemptNumber(), ProcessHandle.current().pid(),
                    ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                    Object.class.getModule().isOpen("java.nio", Task.class.getClassLoader().getUnnamedModule()));
        }
    }

    @Test
    @Order(1)
    void executorsAreSeparateJvmsWithTheJvmOptions() {
        assertEquals(2, BarrierStage.slots(session.sparkContext()));
        List<String> gathered = BarrierStage.collect(twoPartitions(), partition -> {
            BarrierTaskContext task = BarrierTaskContext.get();
            return List.of(String.join(",", task.allGather(Long.toString(ProcessHandle.current().pid())))).iterator();
        });
        assertEquals(gathered.get(0), gathered.get(1));
        List<Task> tasks = BarrierStage.collect(twoPartitions(), partition -> List.of(Task.here()).iterator());
        long driver = ProcessHandle.current().pid();
        for (Task task : tasks) {
            assertNotEquals(driver, task.pid());
            assertTrue(task.vector() && task.opened(), task.toString());
            executorPids.add(task.pid());
        }
        assertEquals(2, executorPids.size(), tasks.toString());
    }

    @Test
    @Order(2)
    void aStageWhoseExecutorDiesIsRetriedOnAFreshOne() {
        long start = System.nanoTime();
        List<Task> tasks = BarrierStage.collect(twoPartitions(), partition -> {
            BarrierTaskContext task = BarrierTaskContext.get();
            if (task.stageAttemptNumber() == 0 && task.partitionId() == 1) Runtime.getRuntime().halt(1);
            task.allGather("ready");
            return List.of(Task.here()).iterator();
        });
        System.out.printf("stage retried after its executor died: %.1f s%n", (System.nanoTime() - start) / 1e9);
        assertEquals(List.of(1, 1), tasks.stream().map(Task::attempt).toList());
        assertEquals(2, tasks.stream().map(Task::pid).distinct().count(), tasks.toString());
        assertFalse(executorPids.containsAll(tasks.stream().map(Task::pid).toList()), "no fresh executor: " + tasks);
    }
}

package org.oialr.spark;

import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * Checks that Spark runs here: starts a session on a master and runs a barrier stage of one task per slot, whose
 * tasks all-gather their partition ids and process ids. Prints one line per task and exits with status 0.
 */
public final class SparkCheck {
    private SparkCheck() {}

    /**
     * Runs the check.
     *
     * @param args the master URL (default: the system property {@code spark.master}, which spark-submit sets, else
     *     {@code local[2]})
     */
    public static void main(String[] args) {
        long start = System.nanoTime();
        SparkSession session = SparkSessions.start(args.length > 0 ? args[0] : System.getProperty("spark.master", "local[2]"));
        try {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(session.sparkContext());
            int tasks = BarrierStage.slots(session.sparkContext());
            List<String> lines = BarrierStage.collect(sc.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks), partition -> {
                BarrierTaskContext task = BarrierTaskContext.get();
                String[] all = task.allGather(Integer.toString(task.partitionId()));
                return List.of("task " + task.partitionId() + " of " + all.length + " in process " + ProcessHandle.current().pid()
                        + " saw partitions " + String.join(",", all)).iterator();
            });
            lines.forEach(System.out::println);
            System.out.printf("Spark %s, master %s, driver process %d: %d barrier tasks in %.1f s%n", session.version(),
                    session.sparkContext().master(), ProcessHandle.current().pid(), tasks, (System.nanoTime() - start) / 1e9);
        } finally {
            session.stop();
        }
    }
}

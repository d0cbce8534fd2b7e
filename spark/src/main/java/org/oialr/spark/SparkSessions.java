package org.oialr.spark;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.launcher.JavaModuleOptions;
import org.apache.spark.sql.SparkSession;
import org.slf4j.LoggerFactory;

/**
 * Starts a {@link SparkSession} for OIALR on one of three kinds of master, with the UI off and the settings each needs:
 * <ul>
 *   <li>{@code local}, {@code local[N]}, {@code local[*]}: N task threads in this JVM. Written as
 *       {@code local[N,F]} with F = {@value #TASK_MAX_FAILURES} (unless given), the attempts a task gets on a cluster
 *       ({@code spark.task.maxFailures}), because local mode ignores that setting and tries a task once. (A failed
 *       barrier task is not retried on its own but fails its stage attempt, which {@link BarrierStage} has retried
 *       whatever F is.)</li>
 *   <li>{@code local-cluster[N,cores,memMB]}: a standalone master and N workers in this JVM, whose executors are
 *       separate JVMs on this JVM's class path (for tests of executor loss). {@link #start} waits until all N have
 *       registered.</li>
 *   <li>{@code spark://host:port[,host:port]}: a standalone cluster, checked to be reachable first (Spark itself
 *       would try for a minute). Its executors need OIALR's classes: under {@code spark-submit} the application jar
 *       ({@code oialr-spark-submit.jar}) is shipped to them; when this class was loaded from that jar, it is shipped
 *       too ({@code spark.jars}); otherwise set {@code spark.jars} to it.</li>
 * </ul>
 * The executors of separate-JVM masters get {@link #javaOptions()}; this JVM must have been started with them too.
 */
public final class SparkSessions {
    /** How often a task may fail in local mode before its job fails (a barrier task's failure fails its stage attempt). */
    public static final int TASK_MAX_FAILURES = 4;
    /** How long {@link #start} waits for a master to accept a TCP connection. */
    static final int CONNECT_TIMEOUT_MS = 5_000;
    /** How long {@link #start} waits for the executors of a local cluster (all) or a standalone cluster (one) to register. */
    static final long EXECUTOR_WAIT_MS = 120_000;
    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,(\\d+))?])?");
    private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[(\\d+),(\\d+),(\\d+)]");
    private static final Pattern STANDALONE = Pattern.compile("spark://(.+)");
    private static final String FORMS = "use local[N], local[N,maxFailures], local-cluster[N,cores,memMB] or spark://host:port";
    private static Path fakeSparkHome;

    private SparkSessions() {}

    /**
     * Starts a session with OIALR's defaults (see the class comment).
     *
     * @param master the master URL
     * @return the session; stop it when done
     * @throws IllegalArgumentException if the master URL is malformed or names an unreachable master
     * @throws IllegalStateException if this JVM lacks Spark's JVM options, another session is running, or the
     *     executors of a cluster do not register
     */
    public static SparkSession start(String master) {
        return start(master, Map.of());
    }

    /**
     * Starts a session with OIALR's defaults (see the class comment) and the given Spark settings, which win over them.
     *
     * @param master the master URL
     * @param settings Spark settings ({@code spark.app.name}, {@code spark.jars}, ...)
     * @return the session; stop it when done
     * @throws IllegalArgumentException if the master URL is malformed or names an unreachable master
     * @throws IllegalStateException if this JVM lacks Spark's JVM options, another session is running, or the
     *     executors of a cluster do not register
     */
    public static synchronized SparkSession start(String master, Map<String, String> settings) {
        checkJvmOptions();
        SparkConf conf = new SparkConf();
        settings.forEach(conf::set);
        conf.setIfMissing("spark.app.name", "oialr").setIfMissing("spark.ui.enabled", "false")
                .setIfMissing("spark.ui.showConsoleProgress", "false");
        prepend(conf, "spark.extraListeners", ExecutorSlots.class.getName(), ",");
        prepend(conf, "spark.executor.extraJavaOptions", javaOptions(), " ");
        int awaited = 0; // executors to wait for
        Matcher m;
        String url = master.strip();
        if ((m = LOCAL.matcher(url)).matches()) {
            String threads = m.group(1) == null ? "1" : m.group(1);
            if (!threads.equals("*") && Integer.parseInt(threads) < 1) throw badMaster(master, "it has no task threads");
            url = "local[" + threads + "," + (m.group(2) == null ? TASK_MAX_FAILURES : m.group(2)) + "]";
        } else if ((m = LOCAL_CLUSTER.matcher(url)).matches()) {
            awaited = Integer.parseInt(m.group(1));
            if (awaited < 1 || Integer.parseInt(m.group(2)) < 1) throw badMaster(master, "it has no workers or no cores");
            // the executors run on this JVM's class path (the driver's classes and their dependencies, Spark's included)
            conf.setIfMissing("spark.executor.memory", m.group(3) + "m");
            prepend(conf, "spark.executor.extraClassPath", System.getProperty("java.class.path"), File.pathSeparator);
            prepend(conf, "spark.plugins", LocalClusterHome.class.getName(), ",");
        } else if ((m = STANDALONE.matcher(url)).matches()) {
            checkReachable(master, m.group(1));
            awaited = 1;
            if (!conf.contains("spark.jars")) {
                Optional<String> jar = selfContainedJar();
                if (jar.isPresent()) conf.set("spark.jars", jar.get());
                else LoggerFactory.getLogger(SparkSessions.class).warn("spark.jars is not set: the executors of {} need OIALR's"
                        + " classes on their class path; set spark.jars to oialr-spark-submit.jar or start with spark-submit", master);
            }
        } else {
            throw new IllegalArgumentException("Spark master '" + master + "' is not supported: " + FORMS);
        }
        conf.setMaster(url);
        if (SparkSession.getDefaultSession().isDefined()) {
            throw new IllegalStateException("a Spark session with master " + SparkSession.getDefaultSession().get()
                    .sparkContext().master() + " is already running in this JVM: stop it before starting another");
        }
        SparkSession session;
        try {
            session = SparkSession.builder().config(conf).getOrCreate();
        } finally {
            LocalClusterHome.restore();
        }
        if (awaited > 0) awaitExecutors(session.sparkContext(), awaited);
        return session;
    }

    /**
     * The JVM options that Spark 4 needs on Java 17 and later (Spark's own list, {@code --add-opens} and friends, as
     * its launcher adds them) and OIALR's ({@code --add-modules jdk.incubator.vector}).
     *
     * @return the options, separated by spaces
     */
    public static String javaOptions() {
        return JavaModuleOptions.defaultModuleOptions() + " --add-modules jdk.incubator.vector";
    }

    private static void prepend(SparkConf conf, String key, String value, String separator) {
        conf.set(key, conf.contains(key) ? value + separator + conf.get(key) : value);
    }

    /** Fails fast, with the options to add, when this JVM lacks one of Spark's --add-opens. */
    private static void checkJvmOptions() {
        Module unnamed = SparkSessions.class.getClassLoader().getUnnamedModule();
        for (String option : JavaModuleOptions.defaultModuleOptionArray()) {
            if (!option.startsWith("--add-opens=")) continue;
            String[] modulePackage = option.substring("--add-opens=".length()).split("[/=]");
            boolean open = ModuleLayer.boot().findModule(modulePackage[0])
                    .map(module -> module.isOpen(modulePackage[1], unnamed)).orElse(true);
            if (!open) {
                throw new IllegalStateException("this JVM was started without Spark's JVM options (" + option
                        + " is missing): start java with the options of SparkSessions.javaOptions(): " + javaOptions());
            }
        }
    }

    /** Checks that some master of a spark:// URL accepts TCP connections; Spark itself would retry for a minute. */
    private static void checkReachable(String master, String hostPorts) {
        String problem = null;
        for (String hostPort : hostPorts.split(",")) {
            int colon = hostPort.lastIndexOf(':');
            int port;
            try {
                port = colon < 1 ? -1 : Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) throw badMaster(master, "'" + hostPort + "' is not host:port");
            InetSocketAddress address = new InetSocketAddress(hostPort.substring(0, colon), port);
            if (address.isUnresolved()) {
                problem = "host " + address.getHostString() + " is unknown";
                continue;
            }
            try (Socket socket = new Socket()) {
                socket.connect(address, CONNECT_TIMEOUT_MS);
                return;
            } catch (IOException e) {
                problem = "nothing accepts connections at " + hostPort + " (" + e.getMessage() + ")";
            }
        }
        throw new IllegalArgumentException("Spark master " + master + " is unreachable: " + problem
                + "; start the master (sbin/start-master.sh) or give the URL it prints");
    }

    /** The jar this class was loaded from, when it holds the rest of OIALR too (oialr-spark-submit.jar). */
    private static Optional<String> selfContainedJar() {
        try {
            Path jar = Path.of(SparkSessions.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!Files.isRegularFile(jar)) return Optional.empty();
            try (JarFile file = new JarFile(jar.toFile())) {
                return file.getEntry("org/oialr/cli/Main.class") == null ? Optional.empty() : Optional.of(jar.toString());
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static IllegalArgumentException badMaster(String master, String why) {
        return new IllegalArgumentException("Spark master '" + master + "' is not valid: " + why + "; " + FORMS);
    }

    /** An empty Spark home for the launcher of a local cluster's workers (deleted when the JVM exits). */
    static synchronized Path sparkHome() {
        if (fakeSparkHome == null) {
            try {
                Path home = Files.createTempDirectory("oialr-spark-home");
                // deleteOnExit deletes in the reverse order: a folder before its parent
                for (String dir : new String[] {"", "jars", "launcher", "launcher/target", "launcher/target/scala-2.13"}) {
                    Files.createDirectories(home.resolve(dir)).toFile().deleteOnExit();
                }
                fakeSparkHome = home;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a Spark home for local-cluster in " + System.getProperty("java.io.tmpdir"), e);
            }
        }
        return fakeSparkHome;
    }

    /** Waits until a cluster's executors have registered; stops the context and fails if they do not. */
    private static void awaitExecutors(SparkContext context, int executors) {
        long deadline = System.currentTimeMillis() + EXECUTOR_WAIT_MS;
        ExecutorSlots slots = ExecutorSlots.of(context.applicationId());
        while (slots.executors() < executors && !context.isStopped() && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (slots.executors() < executors) {
            context.stop();
            String where = context.master().startsWith("local-cluster") ? "see their stderr in java.io.tmpdir/worker-*/app-*/*/"
                    : "check that the cluster has a worker with free cores and spark.executor.memory, and the workers' logs";
            throw new IllegalStateException(slots.executors() + " of " + executors + " executors of " + context.master()
                    + " registered within " + EXECUTOR_WAIT_MS / 1000 + " s: " + where);
        }
    }
}

/**
 * OIALR on Apache Spark 4: {@link org.oialr.spark.SparkSessions} starts sessions on local, local-cluster and standalone
 * masters with the JVM options and settings they need, and {@link org.oialr.spark.BarrierStage} runs a Java function
 * as a Spark barrier stage (all tasks at once, retried as a whole).
 */
package org.oialr.spark;

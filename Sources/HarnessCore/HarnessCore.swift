// HarnessCore: every layer of the harness under one import, for the CLI and other front ends.
// The layers themselves are separate targets (see Package.swift) so that their dependencies
// point one way; this file only re-exports them.
@_exported import HarnessSupport
@_exported import HarnessMetrics
@_exported import HarnessData
@_exported import HarnessEngine
@_exported import StrategyHost
@_exported import HarnessCompare
@_exported import HarnessBenchmark
@_exported import HarnessReport
@_exported import HarnessTracking

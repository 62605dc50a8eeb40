// MLflow's tracking REST API (version 2.0), the calls harness needs to log a comparison: find or
// create an experiment, search runs by tag, create a run, log a batch of parameters, metrics and
// tags, end a run, and upload an artifact through a server that proxies them (mlflow server's
// default since 2.0). Over HTTP with Foundation's URLSession: MLflow's own client is Python, and
// its REST API is the documented way in from another language.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A failure to log to MLflow, saying what to do; the results database is never touched by one.
public struct MLflowError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public final class MLflowClient: @unchecked Sendable {
    /// The tracking server, e.g. http://127.0.0.1:5000.
    public let base: URL
    private let authorization: String?
    private let session: URLSession

    /// MLflow's batch limits (log-batch): at most 1000 metrics, 100 parameters and 100 tags a call,
    /// a parameter value of at most 6000 characters and a tag value of 8000.
    static let batchLimits = (metrics: 1000, params: 100, tags: 100)
    static let parameterLength = 6000, tagLength = 8000

    /// `uri` is a tracking server's address. Credentials come from MLflow's own variables:
    /// MLFLOW_TRACKING_TOKEN (bearer), or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD.
    public init(uri: String, environment: [String: String] = ProcessInfo.processInfo.environment, timeout: TimeInterval = 30) throws {
        guard let url = URL(string: uri.hasSuffix("/") ? String(uri.dropLast()) : uri), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", url.host != nil else {
            throw MLflowError("--mlflow takes a tracking server's address (http://HOST:PORT), not '\(uri)': MLflow's file and sqlite stores "
                              + "are read by its own Python client; start a server on one (mlflow server --backend-store-uri sqlite:///mlflow.db "
                              + "--host 127.0.0.1 --port 5000) and pass http://127.0.0.1:5000")
        }
        base = url
        if let token = environment["MLFLOW_TRACKING_TOKEN"], !token.isEmpty {
            authorization = "Bearer \(token)"
        } else if let user = environment["MLFLOW_TRACKING_USERNAME"], let password = environment["MLFLOW_TRACKING_PASSWORD"] {
            authorization = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        } else {
            authorization = nil
        }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        session = URLSession(configuration: configuration)
    }

    // MARK: The calls

    /// The experiment's id, creating it when it does not exist.
    public func experimentID(named name: String) throws -> String {
        do {
            let found = try call("GET", "experiments/get-by-name", query: ["experiment_name": name])
            if let id = (found["experiment"] as? [String: Any])?["experiment_id"] as? String { return id }
        } catch let e as Refusal where e.code == "RESOURCE_DOES_NOT_EXIST" {}
        let made = try call("POST", "experiments/create", body: ["name": name])
        guard let id = made["experiment_id"] as? String else { throw MLflowError("\(base): experiments/create returned no experiment_id") }
        return id
    }

    /// A run as search returns it: its id, artifact location and tags.
    public struct Run: Sendable {
        public var id: String
        public var artifactURI: String
        public var tags: [String: String]
    }

    /// Every run of the experiment matching `filter` (MLflow's search syntax), all pages.
    public func searchRuns(experiment: String, filter: String) throws -> [Run] {
        var runs: [Run] = [], token: String?
        repeat {
            var body: [String: Any] = ["experiment_ids": [experiment], "filter": filter, "max_results": 1000]
            if let token { body["page_token"] = token }
            let page = try call("POST", "runs/search", body: body)
            runs += (page["runs"] as? [[String: Any]] ?? []).compactMap(Self.run)
            token = page["next_page_token"] as? String
        } while token?.isEmpty == false
        return runs
    }

    public func createRun(experiment: String, name: String, start: Date, tags: [(String, String)]) throws -> Run {
        let made = try call("POST", "runs/create", body: ["experiment_id": experiment, "run_name": name, "start_time": Self.milliseconds(start),
                                                          "tags": tags.map { ["key": $0.0, "value": Self.clip($0.1, Self.tagLength)] }])
        guard let run = (made["run"] as? [String: Any]).flatMap(Self.run) else { throw MLflowError("\(base): runs/create returned no run") }
        return run
    }

    /// A metric value at a step (an epoch, for curves).
    public struct Metric: Sendable {
        public var key: String, value: Double, step: Int
        public init(_ key: String, _ value: Double, step: Int = 0) { (self.key, self.value, self.step) = (key, value, step) }
    }

    /// Parameters, metrics and tags, in as many batches as MLflow's limits need.
    public func log(run: String, params: [(String, String)] = [], metrics: [Metric] = [], tags: [(String, String)] = [], at time: Date = Date()) throws {
        let stamp = Self.milliseconds(time)
        var (p, m, t) = (params[...], metrics.filter { $0.value.isFinite }[...], tags[...])
        while !p.isEmpty || !m.isEmpty || !t.isEmpty {
            let batch: [String: Any] = [
                "run_id": run,
                "params": p.prefix(Self.batchLimits.params).map { ["key": $0.0, "value": Self.clip($0.1, Self.parameterLength)] },
                "metrics": m.prefix(Self.batchLimits.metrics).map { ["key": $0.key, "value": $0.value, "timestamp": stamp, "step": $0.step] },
                "tags": t.prefix(Self.batchLimits.tags).map { ["key": $0.0, "value": Self.clip($0.1, Self.tagLength)] }]
            _ = try call("POST", "runs/log-batch", body: batch)
            p = p.dropFirst(Self.batchLimits.params)
            m = m.dropFirst(Self.batchLimits.metrics)
            t = t.dropFirst(Self.batchLimits.tags)
        }
    }

    /// Marks a run deleted (MLflow keeps it, out of searches, until its garbage collection).
    public func delete(run: String) throws {
        _ = try call("POST", "runs/delete", body: ["run_id": run])
    }

    public enum Status: String, Sendable { case finished = "FINISHED", failed = "FAILED" }

    public func end(run: String, status: Status, at time: Date) throws {
        _ = try call("POST", "runs/update", body: ["run_id": run, "status": status.rawValue, "end_time": Self.milliseconds(time)])
    }

    /// Uploads a file into the run's artifacts through the server's artifact proxy. A server
    /// that stores artifacts elsewhere (no proxy: --no-serve-artifacts) has a run artifact
    /// location harness cannot write to; that is an error saying so.
    public func upload(_ data: Data, as path: String, to run: Run) throws {
        let prefix = "mlflow-artifacts:/"
        guard run.artifactURI.hasPrefix(prefix) else {
            throw MLflowError("the server stores run \(run.id)'s artifacts at \(run.artifactURI), which it does not proxy; "
                              + "start mlflow server with its default --serve-artifacts (and --artifacts-destination DIR) to receive the report")
        }
        let location = String(run.artifactURI.dropFirst(prefix.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/" + path
        var request = URLRequest(url: base.appendingPathComponent("api/2.0/mlflow-artifacts/artifacts/" + location))
        request.httpMethod = "PUT"
        request.httpBody = data
        request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
        _ = try send(request, what: "uploading \(path)")
    }

    // MARK: HTTP

    /// An error MLflow answered with (its error_code and message).
    struct Refusal: Error, CustomStringConvertible {
        let code: String, message: String, status: Int, call: String
        var description: String { "MLflow refused \(call) (HTTP \(status), \(code)): \(message)" }
    }

    func call(_ method: String, _ endpoint: String, query: [String: String] = [:], body: [String: Any]? = nil) throws -> [String: Any] {
        var components = URLComponents(url: base.appendingPathComponent("api/2.0/mlflow/" + endpoint), resolvingAgainstBaseURL: false)!
        if !query.isEmpty { components.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) } }
        var request = URLRequest(url: components.url!)
        request.httpMethod = method
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let data = try send(request, what: endpoint)
        guard !data.isEmpty else { return [:] }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    private func send(_ request: URLRequest, what: String) throws -> Data {
        var request = request
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var answer: (Data?, URLResponse?, Error?)
        session.dataTask(with: request) { data, response, error in
            answer = (data, response, error)
            done.signal()
        }.resume()
        done.wait()
        let (data, response, error) = answer
        if let error {
            throw MLflowError("cannot reach the MLflow server at \(base) (\(what): \(error.localizedDescription)); "
                              + "is it running? (mlflow server --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 --port 5000)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let body = data ?? Data()
        guard (200..<300).contains(status) else {
            let json = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
            throw Refusal(code: json?["error_code"] as? String ?? "HTTP \(status)",
                          message: json?["message"] as? String ?? String(decoding: body.prefix(300), as: UTF8.self), status: status, call: what)
        }
        return body
    }

    private static func run(_ json: [String: Any]) -> Run? {
        guard let info = json["info"] as? [String: Any], let id = info["run_id"] as? String else { return nil }
        let tags = ((json["data"] as? [String: Any])?["tags"] as? [[String: Any]] ?? []).compactMap { t -> (String, String)? in
            guard let k = t["key"] as? String, let v = t["value"] as? String else { return nil }
            return (k, v)
        }
        return Run(id: id, artifactURI: info["artifact_uri"] as? String ?? "", tags: Dictionary(tags, uniquingKeysWith: { a, _ in a }))
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    /// Values past MLflow's limits are cut, with a mark that they were.
    static func clip(_ s: String, _ limit: Int) -> String {
        let mark = " [cut for MLflow]"
        return s.count <= limit ? s : String(s.prefix(limit - mark.count)) + mark
    }
}

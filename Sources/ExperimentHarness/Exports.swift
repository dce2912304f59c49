@_exported import Training

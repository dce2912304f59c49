@_exported import NumericCore
